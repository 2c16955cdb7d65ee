import {
  CallHandler,
  DynamicModule,
  ExecutionContext,
  Inject,
  Injectable,
  INestApplicationContext,
  Logger as NestLogger,
  LoggerService,
  Module,
  NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Logger, LoggerModule, PARAMS_PROVIDER_TOKEN, PinoLogger, type Params } from 'nestjs-pino';
import type { Observable } from 'rxjs';
import type { AppConfig } from '../config/app-config';
import { createLogger, logDestination, pinoHttpOptions, ROUTE_TABLE_CONTEXTS } from './logging';

const LOG_ROUTES = Symbol('LOG_ROUTES');

/**
 * Nest's logger over pino (nestjs-pino): every `new Logger(context)` of the app, the workers'
 * loggers included, writes through it once `useStructuredLogs(app)` ran. Drops Nest's route
 * table unless LOG_ROUTES is set.
 */
@Injectable()
class DroplineLogger extends Logger {
  constructor(
    logger: PinoLogger,
    @Inject(PARAMS_PROVIDER_TOKEN) params: Params,
    @Inject(LOG_ROUTES) private readonly routes: boolean,
  ) {
    super(logger, params);
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1) as string;
    if (!this.routes && ROUTE_TABLE_CONTEXTS.has(context)) return;
    // Nest's one line per module at start says nothing an operator acts on.
    if (context === 'InstanceLoader') return super.debug(message, ...optionalParams);
    super.log(message, ...optionalParams);
  }
}

/** The verified caller and the drop a request is about, on every later line of that request (and its completed line). */
@Injectable()
class LogContextInterceptor implements NestInterceptor {
  constructor(private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const request = context.switchToHttp().getRequest<{ user?: { sub?: unknown }; params?: Record<string, unknown>; url?: string }>();
      const fields: Record<string, string> = {};
      if (typeof request.user?.sub === 'string') fields.actor = request.user.sub;
      const params = request.params ?? {};
      const dropId = params.dropId ?? (request.url?.startsWith('/drops/') ? params.id : undefined);
      if (typeof dropId === 'string') fields.dropId = dropId;
      if (Object.keys(fields).length > 0) {
        try {
          this.logger.assign(fields);
        } catch {
          // Outside a request's log scope (a route excluded from the logging middleware): nothing to add to.
        }
      }
    }
    return next.handle();
  }
}

/**
 * Structured logs for a Dropline app (docs/operations.md, "Logs, readiness and shutdown"):
 * pino with nestjs-pino, JSON lines or pretty ones (LOG_FORMAT), LOG_LEVEL, request and
 * correlation ids, actor and drop id, trace and span ids, credentials redacted.
 */
@Module({})
class LoggingModule {
  static forRoot(config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'logRoutes'>, service: string): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [pinoHttpOptions(config, service), logDestination(config)],
          assignResponse: true,
        }),
      ],
      providers: [
        { provide: LOG_ROUTES, useValue: config.logRoutes },
        DroplineLogger,
        { provide: APP_INTERCEPTOR, useClass: LogContextInterceptor },
      ],
      exports: [DroplineLogger],
    };
  }
}

/** An app's root module with structured logs (LoggingModule) beside it. */
export function withLogging(
  root: DynamicModule,
  config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'logRoutes'>,
  service: string,
): DynamicModule {
  class LoggedApp {}
  Object.defineProperty(LoggedApp, 'name', { value: `${service}LoggedApp` });
  Module({})(LoggedApp);
  return { module: LoggedApp, imports: [LoggingModule.forRoot(config, service), root] };
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

/** Routes Nest's logger (and the logs buffered while the app was built: create it with `bufferLogs: true`) through pino. */
export function useStructuredLogs(app: INestApplicationContext): void {
  app.useLogger(app.get(DroplineLogger));
  app.flushLogs();
}
