import { connect, type AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { answerEdgeRefusals, httpServerOptions } from './server-limits';

const http = {
  trustedProxies: [],
  keepAliveTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  maxRequestsPerSocket: 0,
} as unknown as Parameters<typeof httpServerOptions>[0];

/**
 * A request that reaches the server while it closes (pipelined behind one still in flight, or on
 * a busy keep-alive connection) is answered 503 ENGINE.SHUTTING_DOWN as a problem with
 * `Connection: close`. Fastify's own answer was `{"error":"Service Unavailable",…}`: no code,
 * not problem+json (docs/security.md: every error is a problem).
 */
describe('requests while the server closes', () => {
  it('get a 503 problem with Connection: close, and the request in flight completes', async () => {
    const app = Fastify(httpServerOptions(http));
    answerEdgeRefusals(app);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const slowStarted = new Promise<void>((resolve) => (started = resolve));
    let closingBegan!: () => void;
    const closing = new Promise<void>((resolve) => (closingBegan = resolve));
    // Registered after answerEdgeRefusals's: by the time it runs, the edge knows it is closing.
    app.addHook('preClose', (done) => {
      closingBegan();
      done();
    });
    app.get('/slow', async () => {
      started();
      await held;
      return { done: true };
    });
    app.get('/fast', async () => ({ fast: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    try {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      // A connection busy with a request (close() ends only idle ones), and a second request on it once closing began.
      socket.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\n');
      await slowStarted;
      const closed = app.close();
      await closing;
      socket.write('GET /fast HTTP/1.1\r\nHost: t\r\n\r\n');
      // The second request is read while the first is still held: its answer waits behind it.
      await new Promise((r) => setTimeout(r, 50));
      release();
      await ended;
      await closed;
      const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
      expect(first).toMatch(/^HTTP\/1\.1 200 /);
      expect(first).toContain('{"done":true}');
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      expect(second).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 503, code: 'ENGINE.SHUTTING_DOWN' });
    } finally {
      release();
      await app.close();
    }
  });
});
