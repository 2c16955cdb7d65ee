import 'reflect-metadata';
import { Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config';
import type { Clock } from './infrastructure/clock';
import { Databases, openDatabases } from './infrastructure/databases';
import { EngineModule } from './engine.module';
import { ProblemFilter } from './http/problem.filter';
import { validationPipe } from './http/validation';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export interface CreateEngineOptions {
  /** Already opened stores (tests pass template-loaded databases); opened from config otherwise. */
  databases?: Databases;
  clock?: Clock;
}

/** Builds the engine app (not listening yet). The caller owns `databases` when it passed them in. */
export async function createEngine(config: AppConfig, options: CreateEngineOptions = {}): Promise<NestFastifyApplication> {
  const ownsDatabases = !options.databases;
  const databases = options.databases ?? (await openDatabases(config));
  const adapter = new FastifyAdapter({ bodyLimit: 256 * 1024, maxParamLength: 300 });
  const app = await NestFactory.create<NestFastifyApplication>(EngineModule.forRoot({ config, databases, clock: options.clock }), adapter, {
    logger: LEVELS[config.logLevel],
    abortOnError: false,
  });
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  // Unknown routes go through the same problem renderer.
  app.getHttpAdapter().getInstance().setNotFoundHandler((request, reply) => {
    void reply.status(404).header('content-type', 'application/problem+json').send({
      type: 'https://dropline.dev/problems/route-not-found', title: 'Not Found', status: 404, code: 'ROUTE.NOT_FOUND', detail: `No route ${request.method} ${request.url}`,
    });
  });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('Dropline').setDescription('Event-sourced engine for limited merch drops').setVersion('0.1.0').build(),
  );
  SwaggerModule.setup('docs', app, document);
  if (ownsDatabases) {
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await databases.close();
    };
  }
  Logger.flush();
  return app;
}
