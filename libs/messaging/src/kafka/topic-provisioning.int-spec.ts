import { Kafka, logLevel } from 'kafkajs';
import {
  describeKafka,
  isMockCluster,
  kafkaBrokers,
  startPrivateMockCluster,
  testKafka,
  uniqueTopic,
} from '../../../../test/support/kafka';
import { producerOptions } from './kafka-client';
import { provisionedTopicLine, provisioningErrorHint, provisionTopics, type TopicSettings } from './topic-provisioning';

/**
 * Puts a topic with 4 partitions on the cluster the way the relay's tests get theirs: the kcat mock
 * has no CreateTopics and auto-creates a produced-to topic with 4 partitions (replication = brokers, at
 * most 3); a real cluster creates it with replication 1.
 */
async function fourPartitionTopic(kafka: Kafka, topic: string): Promise<void> {
  if (isMockCluster()) {
    const producer = kafka.producer(producerOptions({ idempotentProducer: false }));
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
    await producer.disconnect();
    return;
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

/** What a topic made by fourPartitionTopic has as replication factor on the cluster of this run. */
const replicationOfThisRun = (): number => (isMockCluster() ? 3 : 1);

function settings(topic: string, deadLetterTopic: string, partitions: number, replicationFactor: number): TopicSettings {
  return { topic, deadLetterTopic, partitions, replicationFactor, retentionDays: 1, deadLetterRetentionDays: 1 };
}

describeKafka('topic provisioning over the Kafka wire protocol', () => {
  it('reports the partitions and replication an existing topic really has, and flags a partition count other than planned', async () => {
    const kafka = testKafka('provision-test');
    const [topic, deadLetterTopic] = [uniqueTopic('provision'), uniqueTopic('provision-dlq')];
    await fourPartitionTopic(kafka, topic);
    await fourPartitionTopic(kafka, deadLetterTopic);
    const replication = replicationOfThisRun();

    const result = await provisionTopics(kafka, settings(topic, deadLetterTopic, 12, replication));

    expect(result.map(provisionedTopicLine)).toEqual([
      `exists  ${topic} (4 partitions, replication ${replication})`,
      `exists  ${deadLetterTopic} (4 partitions, replication ${replication})`,
    ]);
    expect(result[0]).toMatchObject({ status: 'exists', partitions: 4, plannedPartitions: 12, replicationFactor: replication });
    expect(result[0].drift).toHaveLength(1);
    expect(result[0].drift[0]).toContain(`${topic} has 4 partitions but 12 are planned (KAFKA_TOPIC_PARTITIONS)`);
    expect(result[0].drift[0]).toContain('set KAFKA_TOPIC_PARTITIONS=4');
    // The dead-letter topic's plan is the partition count capped at 3.
    expect(result[1].drift).toEqual([expect.stringContaining(`${deadLetterTopic} has 4 partitions but 3 are planned`)]);
  });

  it('reports no drift for a lifecycle topic that matches the plan (replication above the plan is fine)', async () => {
    const kafka = testKafka('provision-test');
    const [topic, deadLetterTopic] = [uniqueTopic('provision'), uniqueTopic('provision-dlq')];
    await fourPartitionTopic(kafka, topic);
    await fourPartitionTopic(kafka, deadLetterTopic);
    const replication = replicationOfThisRun();

    // Planned: the lifecycle topic as it is, but replication 1. The dead-letter topic is planned with
    // min(4, 3) = 3 partitions, so on the mock (which auto-creates 4) only it differs.
    const [lifecycle, deadLetters] = await provisionTopics(kafka, settings(topic, deadLetterTopic, 4, 1));

    expect(provisionedTopicLine(lifecycle)).toBe(`exists  ${topic} (4 partitions, replication ${replication})`);
    expect(lifecycle).toMatchObject({ status: 'exists', partitions: 4, plannedPartitions: 4, replicationFactor: replication, drift: [] });
    expect(deadLetters.drift).toEqual([expect.stringContaining('has 4 partitions but 3 are planned')]);
  });

  it('flags a replication factor below the plan, naming both numbers', async () => {
    const cluster = await startPrivateMockCluster(); // one broker: topics get replication 1
    try {
      const kafka = testKafka('provision-test', cluster.brokers);
      const [topic, deadLetterTopic] = [uniqueTopic('provision'), uniqueTopic('provision-dlq')];
      const producer = kafka.producer(producerOptions({ idempotentProducer: false }));
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
      await producer.send({ topic: deadLetterTopic, messages: [{ key: 'k', value: 'v' }] });
      await producer.disconnect();

      const [lifecycle] = await provisionTopics(kafka, settings(topic, deadLetterTopic, 4, 3));

      expect(provisionedTopicLine(lifecycle)).toBe(`exists  ${topic} (4 partitions, replication 1)`);
      expect(lifecycle.drift).toEqual([expect.stringContaining(`${topic} has replication 1 but 3 is planned (KAFKA_REPLICATION_FACTOR)`)]);
    } finally {
      cluster.stop();
    }
  });

  (isMockCluster() ? it : it.skip)('fails to create a missing topic on the kcat mock, and the error gets a hint saying why', async () => {
    // Few retries: the mock never gets a controller, so waiting longer changes nothing.
    const kafka = new Kafka({
      clientId: 'provision-test',
      brokers: kafkaBrokers() ?? [],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const [topic, deadLetterTopic] = [uniqueTopic('provision'), uniqueTopic('provision-dlq')];

    const error = await provisionTopics(kafka, settings(topic, deadLetterTopic, 4, 1)).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(String(error)).toContain('Broker 0 not found in the cached metadata');
    expect(provisioningErrorHint(error)).toMatch(
      /^hint: .*kcat .*mock cluster: kafka:provision cannot run against it \(docs\/messaging\.md\)/,
    );
    expect(provisioningErrorHint(new Error('Connection error: ECONNREFUSED'))).toBeUndefined();
  });

  (isMockCluster() ? it.skip : it)('creates missing topics on a real cluster, and a second run finds them as planned', async () => {
    const kafka = testKafka('provision-test');
    const plan = settings(uniqueTopic('provision'), uniqueTopic('provision-dlq'), 2, 1);

    const first = await provisionTopics(kafka, plan);
    const second = await provisionTopics(kafka, plan);

    expect(first.map((t) => t.status)).toEqual(['created', 'created']);
    expect(second.map(provisionedTopicLine)).toEqual([
      `exists  ${plan.topic} (2 partitions, replication 1)`,
      `exists  ${plan.deadLetterTopic} (2 partitions, replication 1)`,
    ]);
    expect(second.flatMap((t) => t.drift)).toEqual([]);
  });
});
