import Fastify, { type FastifyInstance } from 'fastify';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import { currentLogger, logRequests } from '../logging/request-logs';
import { captureLogs } from '../testing/log-capture';
import { markTracingStarted, traceHttpRequests } from './http-tracing';

/** The HTTP server spans the Fastify hooks make, with a real tracer provider (in-memory exporter). */
describe('HTTP server spans (traceHttpRequests)', () => {
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
  let app: FastifyInstance;
  /** The span active in the handler, as the handler saw it. */
  let seenInHandler: string | undefined;

  beforeAll(async () => {
    provider.register();
    app = Fastify();
    traceHttpRequests(app);
    app.post('/drops/:dropId/pre-orders', async (request) => {
      // After an await, as a handler's work runs: the server span is still the active one.
      await new Promise((r) => setImmediate(r));
      seenInHandler = trace.getActiveSpan()?.spanContext().spanId;
      return { ok: (request.body as { ok?: boolean }).ok };
    });
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    app.get('/health/live', async () => ({ status: 'ok' }));
    app.get('/metrics', async () => '');
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => {
    exporter.reset();
    seenInHandler = undefined;
  });

  it("continues the caller's traceparent with a SERVER span named by the route, active in the handler", async () => {
    const traceId = 'a'.repeat(32);
    const callerSpanId = 'b'.repeat(16);
    const res = await app.inject({
      method: 'POST',
      url: '/drops/d-1/pre-orders?x=1',
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, 'content-type': 'application/json' },
      payload: { ok: true },
    });
    expect(res.statusCode).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('POST /drops/:dropId/pre-orders');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(seenInHandler).toBe(span.spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/drops/:dropId/pre-orders',
      'url.path': '/drops/d-1/pre-orders',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('starts a trace of its own without a traceparent, and marks a 5xx as an error', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('GET /boom');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('names an unknown route by its method only', async () => {
    expect((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('GET');
    expect(span.attributes['http.route']).toBeUndefined();
  });

  it('does not trace probes and scrapes', async () => {
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
  it("keeps the request of the log lines beside the server span in one context (request-logs' hooks run first)", async () => {
    const { logger: root, lines } = captureLogs();
    // As after startTracing: the request of the log lines goes into the trace context (request-logs.ts).
    markTracingStarted();
    const logged = Fastify();
    logRequests(logged, root);
    traceHttpRequests(logged);
    let spanInHandler: string | undefined;
    logged.get('/drops/:dropId', async () => {
      await new Promise((r) => setImmediate(r));
      spanInHandler = trace.getActiveSpan()?.spanContext().spanId;
      currentLogger(root).info('inside');
      return {};
    });
    await logged.ready();
    try {
      const traceId = 'c'.repeat(32);
      expect(
        (await logged.inject({ method: 'GET', url: '/drops/d-7', headers: { traceparent: `00-${traceId}-${'d'.repeat(16)}-01` } }))
          .statusCode,
      ).toBe(200);
      const [span] = exporter.getFinishedSpans();
      expect(span.spanContext().traceId).toBe(traceId);
      expect(spanInHandler).toBe(span.spanContext().spanId);
      expect(lines.find((l) => l.message === 'inside')).toMatchObject({ dropId: 'd-7', requestId: expect.any(String) });
    } finally {
      await logged.close();
    }
  });
});
