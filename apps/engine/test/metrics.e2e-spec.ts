import { MetricsListener } from '@dropline/platform';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/** The value of one sample of the Prometheus text `text` (labels must match exactly those given, in any order); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.keys(found).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(match[3]);
  }
  return undefined;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * /metrics on the in-process engine (PGlite, embedded consumers): Prometheus text for the ops and
 * metrics roles only, the token-free METRICS_PORT listener, and the families moving as commands
 * and events flow: commands, batches, appends, lags, restarts and dead letters.
 */
describe('Prometheus metrics', () => {
  let engine: TestEngine;
  let open: string;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z', env: { METRICS_PORT: '0' } });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const scrape = async () => {
    const res = await engine.request('GET', '/metrics', undefined, {}, { role: 'metrics' });
    expect(res.status).toBe(200);
    return res.body as string;
  };

  it('answers in Prometheus text format for ops and metrics tokens, 401 without a token and 403 for other roles', async () => {
    const res = await engine.request('GET', '/metrics', undefined, {}, { role: 'metrics' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE dropline_commands_total counter');
    expect(res.body).toContain('# TYPE dropline_append_duration_seconds histogram');
    expect((await engine.request('GET', '/metrics', undefined, {}, { role: 'ops' })).status).toBe(200);
    expect((await engine.request('GET', '/metrics', undefined, {}, { token: null })).status).toBe(401);
    for (const role of ['analyst', 'customer', 'till', 'service'] as const)
      expect((await engine.request('GET', '/metrics', undefined, {}, { role })).status).toBe(403);
  });

  it('serves the same text on METRICS_PORT without a token, bound to 127.0.0.1, and nothing else there', async () => {
    const address = engine.app.get(MetricsListener).address();
    expect(address?.address).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${address!.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE dropline_processor_lag_seconds gauge');
    expect((await fetch(`http://127.0.0.1:${address!.port}/drops`)).status).toBe(404);
  });

  it('moves the command, batch, append, sell-through and HTTP families as commands flow, with drop ids only for open drops', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 2 }));
    expect(created.status).toBe(201);
    open = created.body.dropId;
    engine.clock.set('2026-12-01T10:00:00Z');
    expect((await engine.request('POST', `/drops/${open}/open`)).status).toBe(200);
    const before = await scrape();
    const place = (customerId: string, quantity: number, key: string) =>
      engine.request(
        'POST',
        `/drops/${open}/pre-orders`,
        { customerId, sku: 'HH-M-NAVY', quantity, channel: 'web', fulfillment: { method: 'ship' } },
        { 'Idempotency-Key': key },
      );
    const placed = await Promise.all([place('buyer-ana', 1, 'k-1'), place('buyer-ben', 2, 'k-2'), place('buyer-cy', 9, 'k-3')]);
    expect(placed.map((r) => r.status)).toEqual([201, 201, 409]);
    const rejection: string = placed[2].body.code;

    const after = await scrape();
    const accepted = (t: string) => sample(t, 'dropline_commands_total', { type: 'PlacePreOrder', outcome: 'accepted', code: '' }) ?? 0;
    expect(accepted(after) - accepted(before)).toBe(2);
    expect(sample(after, 'dropline_commands_total', { type: 'PlacePreOrder', outcome: 'rejected', code: rejection })).toBe(1);
    expect(sample(after, 'dropline_command_duration_seconds_count', { type: 'PlacePreOrder' })).toBe(3);
    expect(sample(after, 'dropline_writer_batch_size_count')!).toBeGreaterThan(sample(before, 'dropline_writer_batch_size_count')!);
    expect(sample(after, 'dropline_append_duration_seconds_count')!).toBeGreaterThan(
      sample(before, 'dropline_append_duration_seconds_count')!,
    );
    expect(sample(after, 'dropline_events_appended_total', { type: 'PreOrderPlaced' })).toBe(2);
    // The open drop: its pre-orders by outcome and its sell-through (3 units of a 50 cap).
    expect(sample(after, 'dropline_drop_pre_orders_total', { drop_id: open, outcome: 'accepted', code: '' })).toBe(2);
    expect(sample(after, 'dropline_drop_pre_orders_total', { drop_id: open, outcome: 'rejected', code: rejection })).toBe(1);
    expect(sample(after, 'dropline_drop_units', { drop_id: open, kind: 'sold' })).toBe(3);
    expect(sample(after, 'dropline_drop_sell_through_ratio', { drop_id: open })).toBeCloseTo(3 / 50);
    // By route pattern, never the raw URL.
    expect(
      sample(after, 'dropline_http_request_duration_seconds_count', { method: 'POST', route: '/drops/:dropId/pre-orders', status: '201' }),
    ).toBe(2);
    expect(after).not.toContain(`route="/drops/${open}`);
    // Not c-1…: a random drop id (UUID) may hold `c-2` ("…ae0c-2210…").
    expect(after).not.toMatch(/buyer-/);
  });

  it('shows processor positions and lags, leases, consumer outcomes, a dead letter and a restart; drops leave the labels once closed', async () => {
    // The embedded consumers catch up: position moves, lag falls to 0.
    const caughtUp = await eventually(
      scrape,
      (t) => sample(t, 'dropline_processor_lag_events', { processor: 'consumer:fulfillment' }) === 0,
    );
    expect(sample(caughtUp, 'dropline_processor_position', { processor: 'consumer:fulfillment' })).toBeGreaterThan(0);
    expect(sample(caughtUp, 'dropline_processor_lag_seconds', { processor: 'consumer:fulfillment' })).toBe(0);
    expect(sample(caughtUp, 'dropline_processor_running', { processor: 'consumer:fulfillment' })).toBe(1);
    expect(sample(caughtUp, 'dropline_processor_stalled', { processor: 'consumer:fulfillment' })).toBe(0);
    expect(sample(caughtUp, 'dropline_processor_restarts_total', { processor: 'consumer:analytics' })).toBe(0);
    expect(sample(caughtUp, 'dropline_consumer_messages_total', { consumer: 'fulfillment', outcome: 'applied' })!).toBeGreaterThan(0);
    expect(caughtUp).toMatch(/dropline_lease_held\{lease="consumer:fulfillment",store="[a-z-]+"\} 1/);

    // A restart: analytics loses its ce_id ledger, fails on the next event, and is restarted by its supervisor.
    await engine.databases.readModels.query('alter table analytics.processed_events rename to processed_events_away');
    await engine.request('POST', `/drops/${open}/visits`, { visits: [{ visitorId: 'v-1', channel: 'web', at: '2026-12-01T10:01:00Z' }] });
    const restarted = await eventually(
      scrape,
      (t) => (sample(t, 'dropline_processor_restarts_total', { processor: 'consumer:analytics' }) ?? 0) > 0,
    );
    expect(sample(restarted, 'dropline_processor_lag_events', { processor: 'consumer:analytics' })!).toBeGreaterThan(0);
    await engine.databases.readModels.query('alter table analytics.processed_events_away rename to processed_events');

    // A dead letter: fulfillment forgets the acceptance order, so it cannot allocate the run.
    await engine.databases.readModels.query('update fulfillment.pre_orders set sequence = null where drop_id = $1', [open]);
    expect((await engine.request('POST', `/drops/${open}/close`)).status).toBe(200);
    const runId = `${open}.run.1`;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    engine.clock.set('2026-12-10T10:00:00Z');
    const completed = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 3 },
      rejectedBySku: { 'HH-M-NAVY': 0 },
    });
    expect(completed.status).toBe(200);
    const dead = await eventually(
      scrape,
      (t) => sample(t, 'dropline_consumer_messages_total', { consumer: 'fulfillment', outcome: 'dead-lettered' }) === 1,
    );
    // Analytics is back and caught up; the closed drop's series are gone.
    await eventually(scrape, (t) => sample(t, 'dropline_processor_lag_events', { processor: 'consumer:analytics' }) === 0);
    expect(dead).not.toContain(`drop_id="${open}"`);
    // Exactly one state per processor is current.
    expect(
      dead.split('\n').filter((l) => l.startsWith('dropline_processor_state{processor="consumer:fulfillment"') && l.endsWith(' 1')),
    ).toHaveLength(1);
  });
});

describe('Prometheus metrics off (METRICS_ENABLED=false)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: { METRICS_ENABLED: 'false', METRICS_PORT: '0' } });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('has no /metrics route and no listener, and commands still go through', async () => {
    expect((await engine.request('GET', '/metrics', undefined, {}, { role: 'ops' })).status).toBe(404);
    expect(() => engine.app.get(MetricsListener)).toThrow();
    expect((await engine.request('POST', '/drops', harbourHoodie())).status).toBe(201);
  });
});
