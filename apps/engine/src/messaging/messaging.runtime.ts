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
  RelayStatus,
  StoreFeed,
  TableDeadLetterSink,
  ConsumerHandler,
  DeadLetterLedger,
  DeadLetterRetention,
  DeadLetterSinks,
} from '@dropline/messaging';
import { CheckpointStore, Supervisor, type ProcessorStatus, type WorkerLogger } from '@dropline/runtime';
import type { ReaderLag } from '@dropline/event-store';
import type { Kafka } from 'kafkajs';
import { deadLetterCollector, type AppConfig, type Databases, type LeaseFactory, type LeaseStatus, type Metrics } from '@dropline/platform';

const loggerFor = (context: string): WorkerLogger => {
  const logger = new Logger(context);
  return { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
};

export interface MessagingStatus {
  mode: 'kafka' | 'in-process' | 'off';
  relay: RelayStatus | undefined;
  consumers: string[];
  /** With Kafka: the consumer group ids this process's consumers join (KAFKA_GROUP_PREFIX + name). */
  groups?: string[];
  /** Where this process's leases live, and which of them it holds now with their fences (every leased worker, not only messaging). */
  leaseStore: LeaseStatus['store'];
  leases: LeaseStatus[];
  /**
   * The supervised consumers of this instance (in-process feeds: `consumer:<name>`; Kafka group
   * members: `kafka-consumer:<name>`): state, restarts, last error, checkpoint, and a feed's lag
   * (null where it does not run here).
   */
  processors: Array<ProcessorStatus & { lag: ReaderLag | null }>;
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
  private supervisor: Supervisor | undefined;
  private readonly ledgers = new Map<string, DeadLetterLedger>();

  constructor(
    private readonly config: AppConfig,
    private readonly databases: Databases,
    private readonly leases: LeaseFactory,
    private readonly handlers: ConsumerHandler[],
    /** In-process feed pages (tests use small ones to see several pages). */
    private readonly feed: { pageSize?: number } = {},
    /** The app's Prometheus metrics (relay and consumer counters); none in tests that build the runtime alone. */
    private readonly metrics?: Metrics,
  ) {}

  get mode(): MessagingStatus['mode'] {
    if (this.config.kafkaBrokers.length > 0) return 'kafka';
    return this.config.run.consumers ? 'in-process' : 'off';
  }

  /** The relay's lag is measured now (Relay.statusNow), not taken from its last round. */
  async status(): Promise<MessagingStatus> {
    const relay = await this.relay?.statusNow();
    const supervisor = this.supervisor;
    const processors = supervisor
      ? await Promise.all(
          supervisor.status().map(async (s) => ({ ...s, lag: (await supervisor.lag(s.name).catch(() => undefined)) ?? null })),
        )
      : [];
    return {
      mode: this.mode,
      relay,
      consumers: [...this.consumerNames],
      ...(this.mode === 'kafka' && { groups: this.consumerNames.map((name) => `${this.config.kafka.groupPrefix}${name}`) }),
      processors,
      leaseStore: this.leases.store,
      leases: this.leases.status(),
    };
  }

  /** The dead letters of a consumer that runs here (undefined for any other name). */
  deadLetters(consumer: string): DeadLetterLedger | undefined {
    return this.ledgers.get(consumer);
  }

  /** The consumers' supervisor (lag and restarts of each; the readiness check reads it). */
  get consumers(): Supervisor | undefined {
    return this.supervisor;
  }

  async start(): Promise<void> {
    const { config, databases, metrics } = this;
    // Each consumer's waiting dead letters, counted at scrape (its ledger exists once it is built below).
    if (metrics) {
      const remove = metrics.onCollect(deadLetterCollector(metrics, () => [...this.ledgers.values()]));
      this.stops.push(async () => remove());
    }
    const codec = dropEventsCodec(config.kafka.ceSource);
    const checkpoints = new CheckpointStore(databases.readModels);
    const supervisor = new Supervisor({ store: databases.store, checkpoints, logger: loggerFor('Consumers') });
    this.supervisor = supervisor;
    if (config.kafkaBrokers.length > 0) {
      const kafkaLog = new Logger('Kafka');
      this.kafka = createKafka(
        { brokers: config.kafkaBrokers, clientId: config.kafka.clientId, idempotentProducer: config.kafka.idempotentProducer },
        (level, message) => (level === 'error' ? kafkaLog.error(message) : kafkaLog.warn(message)),
      );
      if (config.run.relay) {
        const publisher = new KafkaPublisher(this.kafka, config.kafka.topic, config.kafka);
        const name = `relay:${config.kafka.topic}`;
        this.relay = new Relay(databases.store, codec, publisher, checkpoints, this.leases.create(name), {
          name,
          filter: DROP_EVENTS_FILTER,
          batchSize: config.kafka.relayBatchSize,
          logger: loggerFor('Relay'),
          onBadEvent: config.onBadEvent,
          observer: this.metrics?.relay(name),
        });
        await this.relay.migrate();
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
          // The consumer's own table first (what a redrive reads), then the topic.
          const table = new TableDeadLetterSink(databases.readModels, handler.name);
          const consumer = new EffectivelyOnceConsumer(
            databases.readModels,
            codec,
            handler,
            new DeadLetterSinks(table, deadLetters),
            loggerFor(handler.name),
            this.metrics?.consumer(handler.name),
          );
          await consumer.migrate();
          await table.ensureSchema((m) => loggerFor(handler.name).warn(m));
          this.ledgers.set(handler.name, new DeadLetterLedger(databases.readModels, consumer));
          const groupId = `${config.kafka.groupPrefix}${handler.name}`;
          const runner = new KafkaConsumerRunner(this.kafka, consumer, {
            topic: config.kafka.topic,
            groupId,
            logger: loggerFor(handler.name),
          });
          // A broker that is down at boot must not stop the engine: the supervisor keeps trying.
          supervisor.addTask(runner.task());
          this.consumerNames.push(handler.name);
          this.stops.push(() => deadLetters.close());
        }
      }
      // Stopped first (stops run in reverse): consumers end before their dead-letter sinks close.
      this.stops.push(() => supervisor.stop());
      supervisor.start();
      this.startRetention();
      return;
    }
    if (config.run.consumers) {
      for (const handler of this.handlers) {
        const deadLetters = new TableDeadLetterSink(databases.readModels, handler.name);
        const consumer = new EffectivelyOnceConsumer(
          databases.readModels,
          codec,
          handler,
          deadLetters,
          loggerFor(handler.name),
          this.metrics?.consumer(handler.name),
        );
        await consumer.migrate();
        await deadLetters.ensureSchema((m) => loggerFor(handler.name).warn(m));
        this.ledgers.set(handler.name, new DeadLetterLedger(databases.readModels, consumer));
        const feed = new StoreFeed(databases.store, codec, consumer, databases.readModels, this.leases.create(`consumer:${handler.name}`), {
          filter: DROP_EVENTS_FILTER,
          logger: loggerFor(handler.name),
          ...(this.feed.pageSize ? { batchSize: this.feed.pageSize } : {}),
        });
        await feed.migrate();
        supervisor.add(feed.processor, feed.lease);
        this.consumerNames.push(handler.name);
      }
    }
    this.stops.push(() => supervisor.stop());
    supervisor.start();
    this.startRetention();
  }

  /** DEAD_LETTER_RETENTION_DAYS over the consumers' tables, at start and hourly; stopped before the rest. */
  private startRetention(): void {
    const retention = new DeadLetterRetention([...this.ledgers.values()], {
      days: this.config.deadLetterRetentionDays,
      logger: loggerFor('DeadLetters'),
    });
    retention.start();
    this.stops.push(() => retention.stop());
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop().catch((e: unknown) => new Logger('Messaging').warn(`stop failed: ${String(e)}`));
    this.stops.length = 0;
  }
}
