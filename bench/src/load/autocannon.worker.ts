/*
 * The load generator, in a process of its own (forked by the HTTP scenarios). Every request is a
 * 1-unit pre-order with its own Idempotency-Key and customer — or, with `poll`, an anonymous GET
 * of `path`. Runs for `seconds`, or until the first 409 (the drop sold out) when `untilSoldOut`
 * is set; reports statuses and latency.
 */
// autocannon ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no ESM entry
const autocannon = require('autocannon');

export interface LoadRequest {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  untilSoldOut: boolean;
  prefix: string;
  /** Bearer token sent with every request (a till's: it places pre-orders for named customers). */
  token?: string;
  /** Anonymous GETs of `path` instead of pre-orders (a crowd polling the storefront). */
  poll?: boolean;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  requestsPerS: number;
  statuses: Record<string, number>;
  accepted: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  /** CPU ms (user + system) this load generator spent during the run (process.cpuUsage()). */
  cpuMs: number;
}

function run(req: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let accepted = 0;
    let stopped = false;
    const statuses: Record<string, number> = {};
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    let soldOutAt: number | undefined;
    const instance = autocannon(
      {
        url: req.url,
        connections: req.connections,
        pipelining: 1,
        // Until sold out: a generous ceiling; the first 409 stops the run.
        duration: req.untilSoldOut ? 3600 : req.seconds,
        timeout: 30,
        requests: [
          req.poll
            ? {
                method: 'GET',
                path: req.path,
                onResponse: (status: number) => {
                  statuses[status] = (statuses[status] ?? 0) + 1;
                  if (status === 200) accepted++;
                },
              }
            : {
                method: 'POST',
                path: req.path,
                headers: { 'content-type': 'application/json' },
                setupRequest: (r: Record<string, unknown>) => {
                  const i = n++;
                  const customerId = `${req.prefix}-c-${i}`;
                  return {
                    ...r,
                    headers: {
                      'content-type': 'application/json',
                      'idempotency-key': `${req.prefix}-k-${i}`,
                      ...(req.token ? { authorization: `Bearer ${req.token}` } : {}),
                    },
                    body: JSON.stringify({
                      customerId,
                      sku: 'HOT-M',
                      quantity: 1,
                      channel: req.token ? 'kiosk' : 'web',
                      fulfillment: { method: 'ship' },
                    }),
                  };
                },
                onResponse: (status: number) => {
                  statuses[status] = (statuses[status] ?? 0) + 1;
                  if (status === 201) accepted++;
                  if (req.untilSoldOut && status === 409 && !stopped) {
                    stopped = true;
                    soldOutAt = performance.now();
                    instance.stop();
                  }
                },
              },
        ],
      },
      (error: Error | null, result: any) => {
        if (error) return reject(error);
        const durationS = ((soldOutAt ?? performance.now()) - started) / 1000;
        const cpu = process.cpuUsage(cpuAtStart);
        const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
        resolve({
          requests,
          durationS,
          requestsPerS: requests / durationS,
          statuses,
          accepted,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.errors,
          timeouts: result.timeouts,
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
      },
    );
  });
}

process.on('message', (req: LoadRequest) => {
  run(req).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
  );
});
