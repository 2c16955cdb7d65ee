import { Logger } from '@nestjs/common';
import {
  createKafka,
  DROP_EVENTS_FILTER,
  dropEventsCodec,
  EffectivelyOnceConsumer,
  KafkaConsumerRunner,
  KafkaDeadLetterSink,
  KafkaPublisher,
  Relay,
  RelayCheckpoints,
  RelayStatus,
  StoreFeed,
  TableDeadLetterSink,
  WorkerLogger,
  ConsumerHandler,
} from '@dropline/messaging';
import type { Kafka } from 'kafkajs';
import type { AppConfig, Databases, LeaseFactory, LeaseStatus } from '@dropline/platform';

const loggerFor = (context: string): WorkerLogger => {
  const logger = new Logger(context);
  return { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
};

export interface MessagingStatus {
  mode: 'kafka' | 'in-process' | 'off';
  relay: RelayStatus | undefined;
  consumers: string[];
  /** Where this process's leases live, and which of them it holds now with their fences (every leased worker, not only messaging). */
  leaseStore: LeaseStatus['store'];
  leases: LeaseStatus[];
}

/**
 * The workers of the fan-out inside the engine, as the config says: with KAFKA_BROKERS the
 * relay (RUN_RELAY) and the consumer groups (RUN_CONSUMERS) over Kafka; without it the same
 * consumers on the in-process transport, reading the store from their own checkpoints.
 */
export class MessagingRuntime {
  private relay: Relay | undefined;
  private readonly stops: Array<() => Promise<void>> = [];
  private readonly consumerNames: string[] = [];
  private kafka: Kafka | undefined;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly databases: Databases,
    private readonly leases: LeaseFactory,
    private readonly handlers: ConsumerHandler[],
  ) {}

  get mode(): MessagingStatus['mode'] {
    if (this.config.kafkaBrokers.length > 0) return 'kafka';
    return this.config.run.consumers ? 'in-process' : 'off';
  }

  /** The relay's lag is measured now (Relay.statusNow), not taken from its last round. */
  async status(): Promise<MessagingStatus> {
    const relay = await this.relay?.statusNow();
    return { mode: this.mode, relay, consumers: [...this.consumerNames], leaseStore: this.leases.store, leases: this.leases.status() };
  }

  async start(): Promise<void> {
    const { config, databases } = this;
    const codec = dropEventsCodec(config.kafka.ceSource);
    if (config.kafkaBrokers.length > 0) {
      const kafkaLog = new Logger('Kafka');
      this.kafka = createKafka(
        { brokers: config.kafkaBrokers, clientId: config.kafka.clientId, idempotentProducer: config.kafka.idempotentProducer },
        (level, message) => (level === 'error' ? kafkaLog.error(message) : kafkaLog.warn(message)),
      );
      if (config.run.relay) {
        const checkpoints = new RelayCheckpoints(databases.readModels);
        await checkpoints.ensureSchema();
        const publisher = new KafkaPublisher(this.kafka, config.kafka.topic, config.kafka);
        const name = `relay:${config.kafka.topic}`;
        this.relay = new Relay(databases.store, codec, publisher, checkpoints, this.leases.create(name), {
          name,
          filter: DROP_EVENTS_FILTER,
          batchSize: config.kafka.relayBatchSize,
          logger: loggerFor('Relay'),
          onBadEvent: config.onBadEvent,
        });
        this.relay.start();
        const relay = this.relay;
        this.stops.push(async () => {
          await relay.stop();
          await publisher.close();
        });
      }
      if (config.run.consumers) {
        for (const handler of this.handlers) {
          const deadLetters = new KafkaDeadLetterSink(this.kafka, config.kafka.deadLetterTopic, config.kafka);
          const consumer = new EffectivelyOnceConsumer(databases.readModels, codec, handler, deadLetters, loggerFor(handler.name));
          await consumer.migrate();
          const runner = new KafkaConsumerRunner(this.kafka, consumer, { topic: config.kafka.topic, logger: loggerFor(handler.name) });
          this.startInBackground(handler.name, () => runner.start());
          this.consumerNames.push(handler.name);
          this.stops.push(async () => {
            await runner.stop();
            await deadLetters.close();
          });
        }
      }
      return;
    }
    if (config.run.consumers) {
      for (const handler of this.handlers) {
        const deadLetters = new TableDeadLetterSink(databases.readModels, handler.name);
        const consumer = new EffectivelyOnceConsumer(databases.readModels, codec, handler, deadLetters, loggerFor(handler.name));
        await consumer.migrate();
        await deadLetters.ensureSchema();
        const feed = new StoreFeed(databases.store, codec, consumer, databases.readModels, this.leases.create(`consumer:${handler.name}`), {
          filter: DROP_EVENTS_FILTER,
          logger: loggerFor(handler.name),
        });
        await feed.migrate();
        feed.start();
        this.consumerNames.push(handler.name);
        this.stops.push(() => feed.stop());
      }
    }
  }

  /** A broker that is down at boot must not stop the engine: keep trying in the background. */
  private startInBackground(name: string, start: () => Promise<void>, attempt = 1): void {
    start().catch((e: unknown) => {
      if (this.stopped) return;
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      new Logger(name).warn(`cannot join the consumer group yet (attempt ${attempt}), retrying in ${delay} ms: ${(e as Error).message}`);
      setTimeout(() => !this.stopped && this.startInBackground(name, start, attempt + 1), delay).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stops.reverse()) await stop().catch((e: unknown) => new Logger('Messaging').warn(`stop failed: ${String(e)}`));
    this.stops.length = 0;
  }
}
