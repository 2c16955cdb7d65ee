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

/** Creates the missing topics and leaves existing ones alone (idempotent). Returns the names created. */
export async function provisionTopics(kafka: Kafka, settings: TopicSettings): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicPlan(settings).filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
