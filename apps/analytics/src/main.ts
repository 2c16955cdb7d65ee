import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { createKafka, dropEventsCodec, EffectivelyOnceConsumer, KafkaConsumerRunner, KafkaDeadLetterSink } from '@dropline/messaging';
import {
  applyInputLimits,
  ConfigError,
  frameworkErrorProblems,
  loadConfig,
  ProblemFilter,
  readEnvironment,
  validationPipe,
} from '@dropline/platform';
import { AnalyticsHandler, AnalyticsModule } from '@dropline/analytics';

/** Analytics as its own service: consumer group `analytics` + GET /analytics/drops/:dropId, own database. */
async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  if (config.kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'is required to run analytics as its own service');
  if (!config.analytics.databaseUrl) throw new ConfigError('ANALYTICS_DATABASE_URL', 'is required (or DATABASE_URL)');
  const logger = new Logger('Analytics');
  const pool = new Pool({ connectionString: config.analytics.databaseUrl, max: 5 });
  const kafka = createKafka(
    { brokers: config.kafkaBrokers, clientId: `${config.kafka.clientId}-analytics`, idempotentProducer: config.kafka.idempotentProducer },
    (l, m) => logger[l](m),
  );
  const deadLetters = new KafkaDeadLetterSink(kafka, config.kafka.deadLetterTopic, config.kafka);
  const worker = { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
  const consumer = new EffectivelyOnceConsumer(pool, dropEventsCodec(config.kafka.ceSource), new AnalyticsHandler(), deadLetters, worker);
  await consumer.migrate();
  const app = await NestFactory.create<NestFastifyApplication>(
    AnalyticsModule.forRoot({ pool }),
    new FastifyAdapter({ frameworkErrors: frameworkErrorProblems }),
  );
  applyInputLimits(app);
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  const runner = new KafkaConsumerRunner(kafka, consumer, { topic: config.kafka.topic, logger: worker });
  await runner.start();
  const close = app.close.bind(app);
  app.close = async () => {
    await runner.stop();
    await deadLetters.close();
    await close();
    await pool.end();
  };
  await app.listen(config.analytics.port, config.host);
  logger.log(`analytics consuming ${config.kafka.topic}, routes on port ${config.analytics.port}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`Dropline analytics failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
