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
import { ENGINE_COMMANDS, FulfillmentHandler, FulfillmentModule, HttpEngineCommands } from '@dropline/fulfillment';

/** Fulfillment as its own service: consumer group `fulfillment` + its HTTP routes, own database. */
async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  if (config.kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'is required to run fulfillment as its own service');
  if (!config.fulfillment.databaseUrl) throw new ConfigError('FULFILLMENT_DATABASE_URL', 'is required (or DATABASE_URL)');
  const logger = new Logger('Fulfillment');
  const pool = new Pool({ connectionString: config.fulfillment.databaseUrl, max: 5 });
  const kafka = createKafka(
    { brokers: config.kafkaBrokers, clientId: `${config.kafka.clientId}-fulfillment`, idempotentProducer: config.kafka.idempotentProducer },
    (l, m) => logger[l](m),
  );
  const handler = new FulfillmentHandler(config.fulfillment.dispatchSlaDays);
  const deadLetters = new KafkaDeadLetterSink(kafka, config.kafka.deadLetterTopic, config.kafka);
  const worker = { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
  const consumer = new EffectivelyOnceConsumer(pool, dropEventsCodec(config.kafka.ceSource), handler, deadLetters, worker);
  await consumer.migrate();
  const engine = new HttpEngineCommands(config.engineUrl, config.engineServiceToken);
  const app = await NestFactory.create<NestFastifyApplication>(
    FulfillmentModule.forRoot({ pool, now: () => new Date(), engine: { provide: ENGINE_COMMANDS, useValue: engine } }),
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
  await app.listen(config.fulfillment.port, config.host);
  logger.log(`fulfillment consuming ${config.kafka.topic}, routes on port ${config.fulfillment.port}, reporting to ${config.engineUrl}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`Dropline fulfillment failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
