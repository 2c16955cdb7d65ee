import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { safeCorrelationId } from '../infrastructure/request-context';
import { tracingStarted } from '../telemetry/http-tracing';

/** The request a log line is written in, with the child logger its lines go through once one is written. */
type LoggedRequest = FastifyRequest & { user?: { sub?: unknown }; [REQUEST_LOGGER]: RequestLogger | null };

const REQUEST_LOGGER = Symbol('dropline.requestLogger');

/**
 * The request whose work runs now, set at onRequest and followed across awaits. With tracing on it
 * is a value of the OpenTelemetry context, which the SDK's AsyncLocalStorage already carries: on
 * Node 20 every AsyncLocalStorage in use writes its store onto every promise the process creates
 * (about 104 per pre-order), and a second one beside the trace context's took 0.7% of the engine's
 * CPU and 6% of its allocations under the hot drop (docs/benchmarks.md). With tracing off the API's context does not follow async
 * work (no context manager is registered, and registering one would change which trace context
 * the spans of tracing-off mode carry on), so the request has an AsyncLocalStorage of its own.
 */
interface RequestScope {
  current(): LoggedRequest | undefined;
  /** Runs `done` (the rest of the request) in a scope of its own that carries the request. */
  run(request: LoggedRequest, done: () => void): void;
}

const REQUEST = createContextKey('dropline.request');

/** In the OpenTelemetry context (tracing on). A request's context starts empty: nothing of whatever was active before. */
const traceContextScope: RequestScope = {
  current: () => context.active().getValue(REQUEST) as LoggedRequest | undefined,
  run: (request, done) => context.with(ROOT_CONTEXT.setValue(REQUEST, request), done),
};

function storageScope(): RequestScope {
  const storage = new AsyncLocalStorage<LoggedRequest>();
  return { current: () => storage.getStore(), run: (request, done) => storage.run(request, done) };
}

/** The scope logRequests set up (set once per process: the tracing preload runs before any app is built). */
let scope: RequestScope | undefined;

/** A request's child logger, rebuilt when the caller becomes known (the AuthGuard sets `request.user`). */
interface RequestLogger {
  logger: Logger;
  actor: string | undefined;
}

/** The verified caller's subject, once the AuthGuard has let the request through. */
function actorOf(request: LoggedRequest): string | undefined {
  const sub = request.user?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

/**
 * The logger of a request's lines: the root's child carrying the request id (Fastify's
 * `request.id`, a UUID: httpServerOptions; the causation id of its commands, contextFromRequest),
 * the correlation id (the caller's `x-correlation-id` when well-formed, else the request id),
 * the actor once authenticated, and the drop a `/drops/:dropId…` route is about. Built at the
 * first line a request writes — at LOG_LEVEL=log a served pre-order writes none — and kept.
 */
function requestLogger(root: Logger, request: LoggedRequest): Logger {
  const actor = actorOf(request);
  const built = request[REQUEST_LOGGER];
  if (built && built.actor === actor) return built.logger;
  const params = request.params as Record<string, unknown> | undefined;
  const dropId = params?.dropId ?? (request.url.startsWith('/drops/') ? params?.id : undefined);
  const logger = root.child({
    requestId: request.id,
    correlationId: safeCorrelationId(request.headers['x-correlation-id']) ?? request.id,
    actor,
    dropId: typeof dropId === 'string' ? dropId : undefined,
  });
  request[REQUEST_LOGGER] = { logger, actor };
  return logger;
}

/** The logger for a line written now: the current request's (requestLogger), or `root` outside any request. */
export function currentLogger(root: Logger): Logger {
  const request = scope?.current();
  return request ? requestLogger(root, request) : root;
}

/**
 * Request logging on a Fastify instance (docs/operations.md, "Logs"), as Fastify hooks:
 *
 * - onRequest makes the request current for everything that runs for it (currentLogger), so
 *   the lines its guards, handlers and filters write carry its ids;
 * - onResponse writes its completed line — `METHOD url status` with `req` (method, url), `res`
 *   (status) and `responseTime` (ms) — at debug, or at error with `err` for a 5xx; at debug, a
 *   response the client abandons gets its line when it closes.
 *
 * Hand-written in place of pino-http run through nestjs-pino's middleware: on Fastify that
 * middleware goes through @fastify/middie and made three child loggers per request (each
 * serialising and redacting its bindings) for lines that, at the production level, are never
 * written — about 10% of a pre-order's CPU with the middleware layer and the per-request
 * `assign` of actor and drop id. Here nothing is built until a line is written.
 */
export function logRequests(fastify: FastifyInstance, root: Logger): void {
  scope ??= tracingStarted() ? traceContextScope : storageScope();
  const inRequest = scope;
  const debug = root.isLevelEnabled('debug');
  const completed = (request: FastifyRequest, reply: FastifyReply): void => {
    const status = reply.statusCode;
    if (status < 500 && !debug) return;
    const logger = requestLogger(root, request as LoggedRequest);
    const message = `${request.method} ${request.url} ${status}`;
    const line = {
      req: { method: request.method, url: request.url },
      res: { statusCode: status },
      responseTime: Math.round(reply.elapsedTime),
    };
    if (status >= 500) logger.error({ ...line, err: new Error(`failed with status code ${status}`) }, message);
    else logger.debug(line, message);
  };
  fastify.decorateRequest(REQUEST_LOGGER, null);
  fastify.addHook(
    'onRequest',
    debug
      ? (request, reply, done) => {
          // A response closed before it finished (the client went away) is logged when it closes.
          reply.raw.once('close', () => (reply.raw.writableFinished ? undefined : completed(request, reply)));
          inRequest.run(request as LoggedRequest, done);
        }
      : (request, _reply, done) => inRequest.run(request as LoggedRequest, done),
  );
  fastify.addHook('onResponse', (request, reply, done) => {
    completed(request, reply);
    done();
  });
}
