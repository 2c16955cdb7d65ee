import type { ITopicConfig, Kafka } from 'kafkajs';

/** Topic layout from configuration. */
export interface TopicSettings {
  topic: string;
  deadLetterTopic: string;
  partitions: number;
  replicationFactor: number;
  /** Days the lifecycle topic keeps messages; 0 = forever. */
  retentionDays: number;
  deadLetterRetentionDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const retention = (days: number): string => (days === 0 ? '-1' : String(days * DAY_MS));

/**
 * The topics Dropline needs. The lifecycle topic is keyed by drop id, so its partition
 * count caps consumer parallelism and must not change after launch (a new count moves keys
 * to other partitions and breaks per-drop order for in-flight messages).
 */
export function topicPlan(settings: TopicSettings): ITopicConfig[] {
  const common = [
    { name: 'cleanup.policy', value: 'delete' },
    // With replication 3, an acks=all write survives one broker loss.
    { name: 'min.insync.replicas', value: String(Math.min(2, settings.replicationFactor)) },
  ];
  return [
    {
      topic: settings.topic,
      numPartitions: settings.partitions,
      replicationFactor: settings.replicationFactor,
      configEntries: [...common, { name: 'retention.ms', value: retention(settings.retentionDays) }],
    },
    {
      topic: settings.deadLetterTopic,
      numPartitions: Math.min(settings.partitions, 3),
      replicationFactor: settings.replicationFactor,
      configEntries: [...common, { name: 'retention.ms', value: retention(settings.deadLetterRetentionDays) }],
    },
  ];
}

/** A planned topic as the cluster has it after provisioning. */
export interface ProvisionedTopic {
  topic: string;
  /** `created` by this run (with the planned settings), or `exists` (settings read from the cluster). */
  status: 'created' | 'exists';
  partitions: number;
  /** The lowest replica count of its partitions. */
  replicationFactor: number;
  plannedPartitions: number;
  plannedReplicationFactor: number;
  /** One warning per difference from the plan that needs an operator; empty when it matches. */
  drift: string[];
}

/**
 * Creates the missing topics and leaves existing ones alone (idempotent). Existing topics are
 * checked against the plan: their real partition count and replication factor are returned, with
 * a warning when the partition count differs (keys would map to other partitions than planned) or
 * the replication factor is lower than planned. Nothing existing is changed.
 */
export async function provisionTopics(kafka: Kafka, settings: TopicSettings): Promise<ProvisionedTopic[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const plan = topicPlan(settings);
    const existing = new Set(await admin.listTopics());
    const present = plan.filter((t) => existing.has(t.topic)).map((t) => t.topic);
    const metadata = present.length > 0 ? (await admin.fetchTopicMetadata({ topics: present })).topics : [];
    const missing = plan.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return plan.map((planned): ProvisionedTopic => {
      const wanted = { plannedPartitions: planned.numPartitions ?? 0, plannedReplicationFactor: planned.replicationFactor ?? 0 };
      const found = metadata.find((m) => m.name === planned.topic);
      if (!found) {
        const { plannedPartitions: partitions, plannedReplicationFactor: replicationFactor } = wanted;
        return { topic: planned.topic, status: 'created', partitions, replicationFactor, ...wanted, drift: [] };
      }
      const replicas = found.partitions.map((p) => p.replicas.length);
      const replicationFactor = replicas.length === 0 ? 0 : Math.min(...replicas);
      const state = { topic: planned.topic, partitions: replicas.length, replicationFactor, ...wanted };
      return { ...state, status: 'exists', drift: driftWarnings(state, planned.topic === settings.topic) };
    });
  } finally {
    await admin.disconnect();
  }
}

type TopicNumbers = Pick<ProvisionedTopic, 'topic' | 'partitions' | 'replicationFactor' | 'plannedPartitions' | 'plannedReplicationFactor'>;

function driftWarnings(t: TopicNumbers, lifecycle: boolean): string[] {
  const warnings: string[] = [];
  if (t.partitions !== t.plannedPartitions) {
    const source = lifecycle ? 'KAFKA_TOPIC_PARTITIONS' : 'KAFKA_TOPIC_PARTITIONS, at most 3';
    const fix = lifecycle
      ? `set KAFKA_TOPIC_PARTITIONS=${t.partitions} to match the live topic, or, only if nothing was ever published to it, delete it and run kafka:provision again`
      : `delete it and run kafka:provision again once the dead letters in it are no longer needed`;
    warnings.push(
      `${t.topic} has ${t.partitions} partitions but ${t.plannedPartitions} are planned (${source}): ` +
        `keys map to other partitions than planned, and a partition count must not change after launch; ${fix}`,
    );
  }
  if (t.replicationFactor < t.plannedReplicationFactor) {
    warnings.push(
      `${t.topic} has replication ${t.replicationFactor} but ${t.plannedReplicationFactor} is planned (KAFKA_REPLICATION_FACTOR): ` +
        `a broker loss can lose acknowledged messages; add replicas with kafka-reassign-partitions.sh, ` +
        `or set KAFKA_REPLICATION_FACTOR=${t.replicationFactor} if that is intended`,
    );
  }
  return warnings;
}

/** The line `kafka:provision` prints for a topic: what the cluster has, not what was asked for. */
export function provisionedTopicLine(t: ProvisionedTopic): string {
  return `${t.status === 'created' ? 'created' : 'exists '} ${t.topic} (${t.partitions} partitions, replication ${t.replicationFactor})`;
}

/**
 * A hint for an error of provisioning, when it is the kcat mock's: it names controller 0, which
 * is none of its brokers, so kafkajs fails CreateTopics with "Broker 0 not found in the cached metadata".
 */
export function provisioningErrorHint(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /Broker \d+ not found in the cached metadata/.test(message)
    ? 'hint: no broker of the cluster is its controller, which CreateTopics needs. If KAFKA_BROKERS is the kcat ' +
        '(librdkafka) mock cluster: kafka:provision cannot run against it (docs/messaging.md); use a real cluster.'
    : undefined;
}
