import type { Kafka, LogEntry } from 'kafkajs';

/** How to reach the cluster and how strict the producer may be there. */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /**
   * Idempotent producer (on for real clusters). The kcat mock cluster reports a controller
   * that is none of its brokers, so InitProducerId fails there: tests turn it off.
   */
  idempotentProducer: boolean;
  /**
   * How long one request may go unanswered. A frozen broker keeps its TCP connections open,
   * so this, not a connection error, is what turns an outage into a visible retry.
   */
  requestTimeoutMs?: number;
}

/** Receives kafkajs' own warnings and errors (they go to the app's logger). */
export type KafkaLogSink = (level: 'error' | 'warn', message: string) => void;

/**
 * A kafkajs client whose logs go to `log` instead of stdout. kafkajs is loaded at the first call
 * (about 75 ms of every start otherwise, in the modes without Kafka).
 */
export function createKafka(connection: KafkaConnection, log: KafkaLogSink = () => undefined): Kafka {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when Kafka is configured
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const text = `${entry.namespace ? `${entry.namespace}: ` : ''}${entry.log.message}${entry.log.error ? ` (${String(entry.log.error)})` : ''}`;
      log(entry.level <= logLevel.ERROR ? 'error' : 'warn', text);
    },
    requestTimeout: connection.requestTimeoutMs ?? 10_000,
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
  });
}

/**
 * Producer settings for ordered, at-least-once publishing. Without idempotence a retried
 * request could overtake the one after it, so only one request may be in flight.
 */
export function producerOptions(connection: Pick<KafkaConnection, 'idempotentProducer'>) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when Kafka is configured
  const { Partitioners } = require('kafkajs') as typeof import('kafkajs');
  // Named, not defaulted: kafkajs 2's default, the Java client's murmur2 partitioner, so a key (the
  // drop id) lands on the partition any other Kafka client would pick; and naming it silences the
  // warning kafkajs otherwise logs at every start.
  const createPartitioner = Partitioners.DefaultPartitioner;
  return connection.idempotentProducer
    ? { idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner }
    : {
        createPartitioner,
        idempotent: false,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      };
}
