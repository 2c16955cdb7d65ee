import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig, Clock } from '@dropline/platform';
import {
  describeAccess,
  applyHttpEdge,
  applyInputLimits,
  AuthSetup,
  Databases,
  extendClose,
  httpServerOptions,
  Metrics,
  observeHttp,
  openDatabases,
  ProblemFilter,
  recordRoutes,
  setupApiDocs,
  setUpAuth,
  useBootLogger,
  useHttpTracing,
  useStructuredLogs,
  useCompiledValidation,
  withLogging,
} from '@dropline/platform';
import { EngineModule } from './engine.module';

/** Largest request body, in bytes (413 REQUEST.BODY_TOO_LARGE beyond). */
export const BODY_LIMIT = 256 * 1024;

export interface CreateEngineOptions {
  /** Already opened stores (tests pass template-loaded databases); opened from config otherwise. */
  databases?: Databases;
  clock?: Clock;
  /** Let Nest close the app on SIGTERM/SIGINT (default). main.ts handles signals itself, to log and exit 0. */
  shutdownHooks?: boolean;
  /** Token verification; set up from config (JWT_* or the development key) otherwise. */
  auth?: AuthSetup;
}

/** Builds the engine app (not listening yet). The caller owns `databases` when it passed them in. */
export async function createEngine(config: AppConfig, options: CreateEngineOptions = {}): Promise<NestFastifyApplication> {
  // Before anything opens: a production engine without its own key, issuer and audience stops here.
  useBootLogger(config, 'engine');
  const auth = options.auth ?? (await setUpAuth(config));
  const ownsDatabases = !options.databases;
  const databases = options.databases ?? (await openDatabases(config));
  const adapter = new FastifyAdapter({
    ...httpServerOptions(config.http),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 300 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging(EngineModule.forRoot({ config, databases, clock: options.clock, auth }), config, 'engine'),
    adapter,
    // Lines logged while the app is built wait for pino (LOG_LEVEL, LOG_FORMAT: docs/operations.md).
    { bufferLogs: true, abortOnError: false },
  );
  useStructuredLogs(app);
  useHttpTracing(app);
  recordRoutes(app);
  // Before any route is registered: the rate limiter attaches itself to each route as it is added.
  await applyHttpEdge(app, config.http, auth.verifier);
  if (config.metrics.enabled) observeHttp(app, app.get(Metrics));
  applyInputLimits(app);
  useCompiledValidation(app);
  app.useGlobalFilters(new ProblemFilter());
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  // Unknown routes: Nest's own not-found handler throws a NotFoundException, which the
  // ProblemFilter renders as 404 ROUTE.NOT_FOUND (Fastify allows one not-found handler, and Nest sets it).
  // Built at the first request for /docs-json or /docs-yaml (a few hundred ms of every start otherwise).
  // Who may call each route, and its problem answers, come from ROUTE_POLICY (describeAccess).
  setupApiDocs(app, () =>
    describeAccess(
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('Dropline')
          .setDescription('Event-sourced engine for limited merch drops')
          .setVersion('0.1.0')
          .build(),
      ),
    ),
  );
  if (ownsDatabases) extendClose(app, { after: () => databases.close() });
  Logger.flush();
  return app;
}
