import { createServer, Server } from 'node:http';

/**
 * A stand-in OTLP/HTTP collector for benchmarks: accepts POST /v1/traces, counts the requests
 * and bytes and answers 200 without parsing (it shares the cores with the engine under test, so
 * it must cost as little as possible). The engine pays the full cost of exporting (serialising
 * and sending).
 */
export async function startOtlpSink(): Promise<{ url: string; received(): { requests: number; bytes: number }; close(): Promise<void> }> {
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      requests++;
      // An empty success in the request's own encoding (protobuf by default, or JSON).
      const json = String(req.headers['content-type']).startsWith('application/json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    received: () => ({ requests, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
