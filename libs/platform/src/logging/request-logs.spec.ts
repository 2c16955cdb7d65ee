import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { currentLogger, logRequests } from './request-logs';

/** Lines written through a pino root, parsed. */
function capturedRoot(): { root: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { root: pino({ level: 'info' }, sink), lines };
}

/**
 * The request scope of the log lines without tracing: no OpenTelemetry SDK has registered a context
 * manager here, so logRequests registers one, and the request still follows the handler's awaits.
 */
describe('request scope of log lines (logRequests), tracing off', () => {
  const { root, lines } = capturedRoot();
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    logRequests(app, root);
    app.get('/drops/:dropId', async () => {
      await new Promise((r) => setImmediate(r));
      await Promise.resolve();
      currentLogger(root).info('inside');
      return { ok: true };
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    context.disable();
  });

  it('carries the request id, correlation id and drop across awaits, and nothing outside a request', async () => {
    const res = await app.inject({ method: 'GET', url: '/drops/d-9', headers: { 'x-correlation-id': 'corr-1' } });
    expect(res.statusCode).toBe(200);
    const line = lines.find((l) => l.msg === 'inside');
    expect(line).toMatchObject({ correlationId: 'corr-1', dropId: 'd-9' });
    expect(typeof line?.requestId).toBe('string');
    currentLogger(root).info('outside');
    expect(lines.find((l) => l.msg === 'outside')).not.toHaveProperty('requestId');
  });

  it('keeps two concurrent requests apart', async () => {
    lines.length = 0;
    await Promise.all([app.inject({ method: 'GET', url: '/drops/a' }), app.inject({ method: 'GET', url: '/drops/b' })]);
    expect(
      lines
        .filter((l) => l.msg === 'inside')
        .map((l) => l.dropId)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});
