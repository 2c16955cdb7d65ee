import { DynamicModule, INestApplication, INestApplicationContext, Logger as NestLogger, LoggerService, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger, type Params } from 'nestjs-pino';
import pino, { type DestinationStream } from 'pino';
import type { AppConfig } from '../config/app-config';
import { createLogger, logDestination, pinoOptions, ROUTE_TABLE_CONTEXTS } from './logging';
import { currentLogger, logRequests } from './request-logs';

const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** nestjs-pino's PinoLogger writing through the current request's logger (request-logs.ts), or the root one outside requests. */
class RequestScopedPinoLogger extends PinoLogger {
  constructor(private readonly root: pino.Logger) {
    super({ pinoHttp: { logger: root } } as Params);
  }

  override get logger(): pino.Logger {
    return currentLogger(this.root);
  }
}

/**
 * Nest's logger over pino (nestjs-pino): every `new Logger(context)` of the app, the workers'
 * loggers included, writes through it once `useStructuredLogs(app)` ran. Drops Nest's route
 * table unless LOG_ROUTES is set.
 */
class DroplineLogger extends Logger {
  constructor(
    root: pino.Logger,
    private readonly routes: boolean,
  ) {
    super(new RequestScopedPinoLogger(root), {});
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1) as string;
    if (!this.routes && ROUTE_TABLE_CONTEXTS.has(context)) return;
    // Nest's one line per module at start says nothing an operator acts on.
    if (context === 'InstanceLoader') return super.debug(message, ...optionalParams);
    super.log(message, ...optionalParams);
  }
}

/**
 * Structured logs for a Dropline app (docs/operations.md, "Logs, readiness and shutdown"):
 * pino with nestjs-pino's Nest logger, JSON lines or pretty ones (LOG_FORMAT), LOG_LEVEL,
 * request and correlation ids, actor and drop id (request-logs.ts), trace and span ids,
 * credentials redacted.
 */
@Module({})
class LoggingModule {
  static forRoot(
    config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'logRoutes'>,
    service: string,
    destination: DestinationStream = logDestination(config),
  ): DynamicModule {
    const root = pino(pinoOptions(config, service), destination);
    // What nestjs-pino's LoggerModule did: PinoLogger.root is the app's root logger (main.ts writes the development tokens through it).
    (PinoLogger as unknown as { root: pino.Logger }).root = root;
    return {
      module: LoggingModule,
      global: true,
      providers: [
        { provide: ROOT_LOGGER, useValue: root },
        { provide: DroplineLogger, useValue: new DroplineLogger(root, config.logRoutes) },
      ],
      exports: [DroplineLogger, ROOT_LOGGER],
    };
  }
}

/** An app's root module with structured logs (LoggingModule) beside it; `destination` is stdout (logDestination) unless a test captures the lines. */
export function withLogging(
  root: DynamicModule,
  config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'logRoutes'>,
  service: string,
  destination?: DestinationStream,
): DynamicModule {
  class LoggedApp {}
  Object.defineProperty(LoggedApp, 'name', { value: `${service}LoggedApp` });
  Module({})(LoggedApp);
  return { module: LoggedApp, imports: [LoggingModule.forRoot(config, service, destination), root] };
}

/**
 * Sends Nest's static logger through pino before an app exists (what runs before NestFactory.create,
 * e.g. opening the stores); useStructuredLogs takes over once the app is built.
 */
export function useBootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>, service: string): void {
  const pino = createLogger(config, service);
  const write =
    (level: 'info' | 'warn' | 'error' | 'debug' | 'fatal' | 'trace') =>
    (message: unknown, ...optionalParams: unknown[]) => {
      const context = optionalParams.length > 0 ? { context: optionalParams.at(-1) } : {};
      if (message instanceof Error) pino[level]({ ...context, err: message });
      else if (typeof message === 'object' && message !== null) pino[level]({ ...context, ...message });
      else pino[level](context, String(message));
    };
  const logger: LoggerService = {
    log: write('info'),
    warn: write('warn'),
    error: write('error'),
    debug: write('debug'),
    verbose: write('trace'),
    fatal: write('fatal'),
  };
  NestLogger.overrideLogger(logger);
}

/**
 * Routes Nest's logger (and the logs buffered while the app was built: create it with
 * `bufferLogs: true`) through pino; on a Fastify app, logs its requests too (request-logs.ts).
 * Call right after NestFactory.create: the request hooks go first, so every later hook and
 * handler writes in the request's scope.
 */
export function useStructuredLogs(app: INestApplicationContext): void {
  app.useLogger(app.get(DroplineLogger));
  app.flushLogs();
  const http = (app as Partial<INestApplication>).getHttpAdapter?.();
  if (http?.getType() === 'fastify') logRequests((app as NestFastifyApplication).getHttpAdapter().getInstance(), app.get(ROOT_LOGGER));
}
