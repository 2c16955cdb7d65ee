import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpEngineCommands } from './engine-commands';

/** Server mode: what fulfillment sends the engine for a hand-over, with and without the ops request that asked for it. */
describe('HttpEngineCommands', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      req.resume();
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it("forwards the ops caller's token, correlation id and trace, so the engine records that caller", async () => {
    const engine = new HttpEngineCommands(url, 'service-token');
    await engine.report(
      'd1.po.abc',
      { action: 'dispatch', carrier: 'royal-mail', trackingNumber: 'RM1' },
      {
        context: {
          actor: 'ops-jane',
          correlationId: 'ops-dispatch-1',
          causationId: 'req-1',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
        authorization: 'Bearer ops-token',
      },
    );
    expect(seen.at(-1)).toMatchObject({
      url: '/pre-orders/d1.po.abc/dispatch',
      headers: {
        authorization: 'Bearer ops-token',
        'x-correlation-id': 'ops-dispatch-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    });
  });

  it('reports as itself (the service token) when no request asked for the hand-over', async () => {
    await new HttpEngineCommands(url, 'service-token').report('d1.po.abc', { action: 'delivered' });
    expect(seen.at(-1)?.headers).toMatchObject({ authorization: 'Bearer service-token', 'x-correlation-id': 'fulfillment-d1.po.abc' });
  });
});
