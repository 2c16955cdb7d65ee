import { createKafka, provisionTopics, topicPlan } from '@dropline/messaging';
import { ConfigError, loadConfig, readEnvironment } from '@dropline/platform';

/**
 * `npm run kafka:provision`: creates the lifecycle and dead-letter topics with partitions and
 * retention from config; topics that exist are left alone, so it is safe to run on every
 * deploy. It needs a real cluster (the kcat mock has no controller, so CreateTopics fails there).
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
  const created = await provisionTopics(kafka, settings);
  for (const topic of topicPlan(settings)) {
    process.stdout.write(
      `${created.includes(topic.topic) ? 'created' : 'exists '} ${topic.topic} (${topic.numPartitions} partitions, replication ${topic.replicationFactor})\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`kafka:provision failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
