import { createKafka, provisionedTopicLine, provisioningErrorHint, provisionTopics } from '@dropline/messaging';
import { ConfigError, loadConfig, readEnvironment } from '@dropline/platform';

/** An existing topic does not match the plan (apart from 1, failed, and 2, configuration error). */
const EXIT_DRIFT = 3;

/**
 * `npm run kafka:provision`: creates the lifecycle and dead-letter topics with partitions and
 * retention from config; topics that exist are left alone, so it is safe to run on every
 * deploy. It prints each topic's partitions and replication as the cluster has them, and exits 3
 * (after a warning line per difference) when an existing topic's partition count differs from the
 * plan or its replication factor is lower; 2 on a configuration error, 1 on any other failure.
 * It needs a real cluster (the kcat mock has no controller, so CreateTopics fails there).
 */
async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  if (config.kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'is required to provision topics');
  const settings = {
    topic: config.kafka.topic,
    deadLetterTopic: config.kafka.deadLetterTopic,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    retentionDays: config.kafka.retentionDays,
    deadLetterRetentionDays: config.kafka.deadLetterRetentionDays,
  };
  const kafka = createKafka(
    { brokers: config.kafkaBrokers, clientId: `${config.kafka.clientId}-provision`, idempotentProducer: false },
    (_, m) => process.stderr.write(`${m}\n`),
  );
  const topics = await provisionTopics(kafka, settings);
  for (const topic of topics) process.stdout.write(`${provisionedTopicLine(topic)}\n`);
  const drift = topics.flatMap((t) => t.drift);
  if (drift.length === 0) return;
  for (const warning of drift) process.stderr.write(`warning: ${warning}\n`);
  const names = topics.filter((t) => t.drift.length > 0).map((t) => t.topic);
  process.stderr.write(
    `kafka:provision: ${names.join(', ')} ${names.length === 1 ? 'does' : 'do'} not match the plan (existing topics are left as they are)\n`,
  );
  process.exitCode = EXIT_DRIFT;
}

main().catch((e: unknown) => {
  process.stderr.write(`kafka:provision failed: ${e instanceof Error ? e.message : String(e)}\n`);
  const hint = provisioningErrorHint(e);
  if (hint) process.stderr.write(`${hint}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
