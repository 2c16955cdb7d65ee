import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createKafka } from '@dropline/messaging';

/** The cluster of this run (the kcat mock from global setup, or a real one from KAFKA_BROKERS). */
export function kafkaBrokers(): string[] | undefined {
  const brokers = process.env.KAFKA_BROKERS;
  return brokers ? brokers.split(',') : undefined;
}

/** The kcat mock cannot grant producer ids: idempotence must be off there. */
export const isMockCluster = (): boolean => process.env.DROPLINE_KAFKA_MOCK === '1';

/** describe, or describe.skip without a cluster (global setup already failed the run under CI=true). */
export const describeKafka: jest.Describe = (kafkaBrokers() ? describe : describe.skip) as jest.Describe;

/** A kafkajs client for tests, quiet, with idempotence as the cluster allows. */
export function testKafka(clientId: string, brokers: string[] = kafkaBrokers() ?? [], requestTimeoutMs?: number): Kafka {
  return createKafka({ brokers, clientId, idempotentProducer: !isMockCluster(), requestTimeoutMs });
}

/** A topic of its own per test (the mock auto-creates it with 4 partitions). */
export function uniqueTopic(prefix: string): string {
  return `test.${prefix}.${randomBytes(4).toString('hex')}`;
}

export interface Received {
  partition: number;
  message: KafkaMessage;
}

/**
 * A plain consumer group member that records everything it receives. Its fetches wait at most
 * 200 ms for data: the kcat mock holds a fetch for its whole wait, and kafkajs's disconnect waits
 * for the fetch in flight (5 s with kafkajs's default, on every stop).
 */
export async function recordingConsumer(kafka: Kafka, topic: string, groupId: string) {
  const received: Received[] = [];
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 2_000 },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void received.push({ partition, message }) });
  return { received, stop: () => consumer.disconnect() };
}

/** Polls until `condition` holds or fails with `describe()` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A private kcat mock cluster (for tests that SIGSTOP the broker and must not disturb others). */
export async function startPrivateMockCluster(): Promise<{ pid: number; brokers: string[]; pause(): void; resume(): void; stop(): void }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mock = require('../kafka-mock');
  const { pid, brokers } = (await mock.startMockCluster(1)) as { pid: number; brokers: string };
  return {
    pid,
    brokers: brokers.split(','),
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: () => mock.stopMockCluster(pid),
  };
}
