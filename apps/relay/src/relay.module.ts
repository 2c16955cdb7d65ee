import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@dropline/event-store';
import { createKafka, DROP_EVENTS_FILTER, dropEventsCodec, KafkaPublisher, Relay } from '@dropline/messaging';
import { AdvisoryLease, CheckpointStore } from '@dropline/runtime';
import type { Pool } from 'pg';
import type { AppConfig } from '@dropline/platform';

export interface RelayModuleOptions {
  config: AppConfig;
  store: EventStore;
  /** Checkpoint and lease database (the store's PostgreSQL). */
  pool: Pool;
}

const RELAY_PARTS = Symbol('RELAY_PARTS');

@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RELAY_PARTS) private readonly parts: { relay: Relay; close: () => Promise<void> }) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.parts.relay.migrate();
    this.parts.relay.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.parts.relay.stop();
    await this.parts.close();
  }
}

/** The relay as its own process (RUN_RELAY=false on the engines). */
@Module({})
export class RelayModule {
  static forRoot({ config, store, pool }: RelayModuleOptions): DynamicModule {
    const logger = new Logger('Relay');
    const kafka = createKafka(
      { brokers: config.kafkaBrokers, clientId: `${config.kafka.clientId}-relay`, idempotentProducer: config.kafka.idempotentProducer },
      (level, message) => (level === 'error' ? logger.error(message) : logger.warn(message)),
    );
    const publisher = new KafkaPublisher(kafka, config.kafka.topic, config.kafka);
    const checkpoints = new CheckpointStore(pool);
    const name = `relay:${config.kafka.topic}`;
    const relay = new Relay(store, dropEventsCodec(config.kafka.ceSource), publisher, checkpoints, new AdvisoryLease(pool, name), {
      name,
      filter: DROP_EVENTS_FILTER,
      batchSize: config.kafka.relayBatchSize,
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    });
    return {
      module: RelayModule,
      providers: [{ provide: RELAY_PARTS, useValue: { relay, close: () => publisher.close() } }, RelayLifecycle],
    };
  }
}
