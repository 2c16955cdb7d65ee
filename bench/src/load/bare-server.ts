import http from 'node:http';

/*
 * The hot-drop-http baseline: a bare node:http server that reads each request's body and
 * answers a constant 201 pre-order, i.e. the most a Node process can answer on this machine.
 */
const BODY = JSON.stringify({
  preOrderId: 'bench.po.00000000000000000000',
  sku: 'HOT-M',
  quantity: 1,
  unitPrice: 2500,
  total: 2500,
  currency: 'GBP',
});

const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
