import { DynamicModule, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { idleInTransactionParameter } from '@dropline/event-store';
import {
  ConsumerHandler,
  createKafka,
  dropEventsCodec,
  EffectivelyOnceConsumer,
  KafkaConsumerRunner,
  DeadLetterLedger,
  DeadLetterRetention,
  DeadLetterSinks,
  KafkaDeadLetterSink,
  TableDeadLetterSink,
} from '@dropline/messaging';
import { Supervisor } from '@dropline/runtime';
import type { AppConfig } from '../config/app-config';
import { ConfigError } from '../config/config-error';
import { Metrics } from '../telemetry/metrics';
import { closeMetrics, serveMetrics } from '../telemetry/metrics.module';
import { deadLetterCollector } from '../telemetry/metrics.collectors';
import { useBootLogger } from '../logging/logging.module';
import { createServiceApp } from './service-app';
import { extendClose } from './shutdown';

export interface ConsumerServiceOptions {
  /** Consumer group suffix, logger context and Kafka client id suffix. */
  name: string;
  /** The service's own database, and the variable that sets it (named when it is missing). */
  database: { url: string | undefined; variable: string };
  port: number;
  handler: ConsumerHandler;
  /** The service's Nest module over its pool (its HTTP routes). */
  module: (pool: Pool) => DynamicModule;
  /** Appended to the "consuming" log line. */
  describe?: string;
}

/**
 * A downstream consumer as its own service (fulfillment, analytics): its database, an
 * effectively-once Kafka consumer with dead letters, and its routes behind the platform's input
 * limits, validation and problem rendering. Closing the app stops the consumer first.
 */
export async function startConsumerService(config: AppConfig, options: ConsumerServiceOptions): Promise<NestFastifyApplication> {
  if (config.kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS', `is required to run ${options.name} as its own service`);
  if (!options.database.url) throw new ConfigError(options.database.variable, 'is required (or DATABASE_URL)');
  useBootLogger(config, options.name);
  const logger = new Logger(options.name.charAt(0).toUpperCase() + options.name.slice(1));
  const pool = new Pool({
    connectionString: options.database.url,
    max: 5,
    // How pg_stat_activity and the give-way log lines name its sessions.
    application_name: `dropline-${options.name}`,
    // A database that does not answer fails a connect (and a readiness probe) instead of queueing it.
    connectionTimeoutMillis: config.storeConnectTimeoutMs,
    // Its transactions (a message's rows and ce_id) must not hold the server's horizon if this process stops mid-way.
    ...idleInTransactionParameter(config.pgIdleInTransactionTimeoutMs),
  });
  // A connection the server ends (a restart, a failover) emits 'error': idle ones on the pool,
  // checked-out ones on their client. Unheard, either crashed the service; the work in hand fails
  // and is retried instead, and readiness says the database is down.
  pool.on('error', (error) => {
    delete (error as Error & { client?: unknown }).client;
    logger.error(`idle PostgreSQL connection failed: ${error.message}`);
  });
  pool.on('connect', (client) => client.on('error', (e) => logger.warn(`PostgreSQL connection lost: ${e.message}`)));
  const kafka = createKafka(
    {
      brokers: config.kafkaBrokers,
      clientId: `${config.kafka.clientId}-${options.name}`,
      idempotentProducer: config.kafka.idempotentProducer,
    },
    (l, m) => logger[l](m),
  );
  const deadLetters = new KafkaDeadLetterSink(kafka, config.kafka.deadLetterTopic, config.kafka);
  const worker = { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
  // Its Prometheus metrics (consumer outcomes, process figures), served without a token on METRICS_PORT when set.
  const metrics = new Metrics();
  // Its own table of dead letters first (what `dropline dead-letters` lists and redrives), then the topic.
  const table = new TableDeadLetterSink(pool, options.handler.name);
  const consumer = new EffectivelyOnceConsumer(
    pool,
    dropEventsCodec(config.kafka.ceSource),
    options.handler,
    new DeadLetterSinks(table, deadLetters),
    worker,
    metrics.consumer(options.handler.name),
  );
  await consumer.migrate();
  await table.ensureSchema(worker.warn);
  const ledger = new DeadLetterLedger(pool, consumer);
  const retention = new DeadLetterRetention([ledger], { days: config.deadLetterRetentionDays, logger: worker });
  metrics.onCollect(deadLetterCollector(metrics, () => [ledger]));
  const app = await createServiceApp(config, options.name, options.module(pool), {
    pool,
    kafkaBrokers: config.kafkaBrokers,
    timeoutMs: config.storeConnectTimeoutMs + 500,
  });
  const groupId = `${config.kafka.groupPrefix}${options.handler.name}`;
  const runner = new KafkaConsumerRunner(kafka, consumer, { topic: config.kafka.topic, groupId, logger: worker });
  // Supervised like the engine's consumers: joining the group, and a crash of the group member, are
  // retried with jittered backoff, and a broker that is down at boot does not stop the service.
  const supervisor = new Supervisor({ logger: worker }).addTask(runner.task());
  supervisor.start();
  retention.start();
  const metricsServer =
    !config.metrics.enabled || config.metrics.port === undefined
      ? undefined
      : await serveMetrics(metrics, config.metrics.port, config.metrics.host);
  extendClose(app, {
    before: async () => {
      await closeMetrics(metricsServer);
      await retention.stop();
      await supervisor.stop();
      await deadLetters.close();
    },
    after: () => pool.end(),
  });
  await app.listen(options.port, config.host);
  logger.log(
    `${options.name} consuming ${config.kafka.topic} as group ${groupId}, routes on port ${options.port}${options.describe ? `, ${options.describe}` : ''}`,
  );
  return app;
}

/** Runs a service's main: a configuration error exits 2 with its one line, anything else 1. */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`Dropline ${name} failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  });
}
