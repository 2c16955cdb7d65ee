import Fastify, { type FastifyInstance } from 'fastify';
import { captureLogs } from '../testing/log-capture';
import { currentLogger, logRequests } from './request-logs';

/**
 * The request scope of the log lines without tracing (no OpenTelemetry SDK started here): an
 * AsyncLocalStorage of its own, which follows the handler's awaits.
 */
describe('request scope of log lines (logRequests), tracing off', () => {
  const { logger: root, lines } = captureLogs();
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
  afterAll(async () => app.close());

  it('carries the request id, correlation id and drop across awaits, and nothing outside a request', async () => {
    const res = await app.inject({ method: 'GET', url: '/drops/d-9', headers: { 'x-correlation-id': 'corr-1' } });
    expect(res.statusCode).toBe(200);
    const line = lines.find((l) => l.message === 'inside');
    expect(line).toMatchObject({ correlationId: 'corr-1', dropId: 'd-9' });
    expect(typeof line?.requestId).toBe('string');
    currentLogger(root).info('outside');
    expect(lines.find((l) => l.message === 'outside')).not.toHaveProperty('requestId');
  });

  it('keeps two concurrent requests apart', async () => {
    lines.length = 0;
    await Promise.all([app.inject({ method: 'GET', url: '/drops/a' }), app.inject({ method: 'GET', url: '/drops/b' })]);
    expect(
      lines
        .filter((l) => l.message === 'inside')
        .map((l) => l.dropId)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});
