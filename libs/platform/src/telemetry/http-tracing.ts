import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Probes and scrapes would start a trace each, every few seconds. */
const UNTRACED = /^\/(health\/|metrics\b)/;

const SERVER_SPAN = Symbol('dropline.serverSpan');
type TracedRequest = FastifyRequest & { [SERVER_SPAN]: Span | null };

/** On globalThis, like the OpenTelemetry API's own registry: the preload and the app may load this module by different paths. */
const TRACING_STARTED = Symbol.for('dropline.tracing-started');

/** Set by startTracing once the SDK is registered: the HTTP server spans are made only then. */
export function markTracingStarted(): void {
  (globalThis as { [TRACING_STARTED]?: boolean })[TRACING_STARTED] = true;
}

/**
 * The HTTP server span of every request (but probes and scrapes), made by Fastify hooks:
 *
 * - onRequest continues the caller's W3C `traceparent` (the global propagator), starts a SERVER
 *   span named `METHOD /route/:pattern` with the stable HTTP semantic conventions' attributes,
 *   and runs the rest of the request inside its context (`context.with(…, done)`: every later
 *   hook, guard, handler and log line sees it, and a command's span becomes its child);
 * - onResponse records the status code (ERROR for a 5xx) and ends it; a request the client
 *   abandons ends it with ERROR `aborted`.
 *
 * In place of @opentelemetry/instrumentation-http's incoming side, which the SDK still loads for
 * outgoing calls: the generic instrumentation wraps `Server.emit`, binds the request and response
 * emitters to the context, parses the URL and computes both the old and the stable attribute
 * sets for every request, and with the context manager's bindings cost about a sixth of a
 * pre-order's CPU at saturation even with nothing sampled (docs/benchmarks.md, issue 18). Fastify
 * already knows the route, so the span costs one context switch and one span here.
 */
export function traceHttpRequests(fastify: FastifyInstance): void {
  const tracer = trace.getTracer('dropline-http');
  fastify.decorateRequest(SERVER_SPAN, null);
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (UNTRACED.test(request.url)) return done();
    // The caller's trace (or none) on the request's own context (request-logs.ts: it carries the
    // request for the log lines); never a span that happened to be active.
    const parent = propagation.extract(trace.deleteSpan(context.active()), request.headers);
    const route = request.routeOptions.url;
    const query = request.url.indexOf('?');
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': query < 0 ? request.url : request.url.slice(0, query),
          'url.scheme': request.protocol,
          'client.address': request.ip,
          ...(route === undefined ? {} : { 'http.route': route }),
        },
      },
      parent,
    );
    (request as TracedRequest)[SERVER_SPAN] = span;
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = (request as TracedRequest)[SERVER_SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    const span = (request as TracedRequest)[SERVER_SPAN];
    if (span?.isRecording()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'aborted' });
      span.end();
    }
    done();
  });
}

/** Whether startTracing registered the SDK in this process (and with it the AsyncLocalStorage context manager). */
export function tracingStarted(): boolean {
  return (globalThis as { [TRACING_STARTED]?: boolean })[TRACING_STARTED] === true;
}

/** traceHttpRequests on a Fastify app when tracing is on (startTracing ran); nothing otherwise. */
export function useHttpTracing(app: INestApplicationContext): void {
  if (!tracingStarted()) return;
  const http = (app as Partial<NestFastifyApplication>).getHttpAdapter?.();
  if (http?.getType() === 'fastify') traceHttpRequests((app as NestFastifyApplication).getHttpAdapter().getInstance());
}
