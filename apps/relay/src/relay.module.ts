import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@dropline/event-store';
import { createKafka, DROP_EVENTS_FILTER, dropEventsCodec, KafkaPublisher, Relay } from '@dropline/messaging';
import { AdvisoryLease, CheckpointStore } from '@dropline/runtime';
import type { Pool } from 'pg';
import type { AppConfig } from '@dropline/platform';
import { closeMetrics, leaseCollector, Metrics, serveMetrics, supervisorCollector } from '@dropline/platform';
import type { Server } from 'node:http';

export interface RelayModuleOptions {
  config: AppConfig;
  store: EventStore;
  /** Checkpoint and lease database (the store's PostgreSQL). */
  pool: Pool;
}

const RELAY_PARTS = Symbol('RELAY_PARTS');

interface RelayParts {
  relay: Relay;
  close: () => Promise<void>;
  /** Its Prometheus metrics, served without a token on METRICS_PORT when set. */
  metrics: Metrics;
  metricsAt: AppConfig['metrics'];
}

@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private metricsServer: Server | undefined;
  constructor(@Inject(RELAY_PARTS) private readonly parts: RelayParts) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.parts.relay.migrate();
    this.parts.relay.start();
    const { enabled, port, host } = this.parts.metricsAt;
    if (enabled && port !== undefined) this.metricsServer = await serveMetrics(this.parts.metrics, port, host);
  }
  async onApplicationShutdown(): Promise<void> {
    await closeMetrics(this.metricsServer);
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
    const metrics = new Metrics();
    const lease = new AdvisoryLease(pool, name);
    const relay = new Relay(store, dropEventsCodec(config.kafka.ceSource), publisher, checkpoints, lease, {
      name,
      filter: DROP_EVENTS_FILTER,
      batchSize: config.kafka.relayBatchSize,
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
      observer: metrics.relay(name),
    });
    metrics.onCollect(supervisorCollector(metrics, store));
    metrics.onCollect(leaseCollector(metrics, () => [{ name, store: 'database', held: lease.held, fence: lease.fence }]));
    const parts: RelayParts = { relay, close: () => publisher.close(), metrics, metricsAt: config.metrics };
    return {
      module: RelayModule,
      providers: [{ provide: RELAY_PARTS, useValue: parts }, RelayLifecycle],
    };
  }
}
