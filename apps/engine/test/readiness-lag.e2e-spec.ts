import { randomUUID } from 'node:crypto';
import { measureLag } from '@dropline/event-store';
import { eventually } from './support/read-model-check';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Readiness on lag in seconds (docs/reliability.md#health): a projection stuck at an event while
 * the log moves on fails /health/ready once it is READY_MAX_LAG_SECONDS behind, with only a few
 * events behind (far below READY_MAX_LAG_EVENTS): what a store that cannot count events relies on.
 */
describe('readiness on a reader’s lag in seconds (embedded engine)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-12-01T10:00:00Z', env: { READY_MAX_LAG_SECONDS: '1' } });
  });
  afterAll(async () => engine?.close());

  /** The last answer of /health/ready and its entry for the drops projection. */
  let last: { status: number; body: any; check: any };
  const readiness = (done: (answer: typeof last) => boolean) => async () => {
    const res = await engine.request('GET', '/health/ready');
    last = { status: res.status, body: res.body, check: (res.body.details ?? res.body.checks)?.['lag:projection:drops'] };
    return done(last);
  };

  it('is ready while caught up, and answers 503 once the stuck projection is more than READY_MAX_LAG_SECONDS behind the head', async () => {
    const dropId: string = (await engine.request('POST', '/drops', harbourHoodie({}))).body.dropId;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    await eventually(
      'a caught-up projection',
      readiness((r) => r.status === 200 && r.check?.lag === 0),
      20_000,
    );
    // The supervisor's report rides beside the lag: state, restarts, last error.
    expect(last.check).toEqual({
      status: 'up',
      lag: 0,
      maxLag: 10_000,
      lagSeconds: 0,
      maxLagSeconds: 1,
      state: 'caught-up',
      restarts: 0,
      lastError: null,
    });
    const anonymousUp = await engine.request('GET', '/health/ready', undefined, {}, { token: null });
    expect(anonymousUp.status).toBe(200);
    expect(anonymousUp.body.details['lag:projection:drops']).toEqual({ status: 'up' });

    // An event of a newer schema version than this engine knows: the projection stops before it (ON_BAD_EVENT=stop).
    const [scheduled] = await engine.databases.store.readStream(`drop-${dropId}`, { maxCount: 1 });
    const { type, data, metadata } = scheduled;
    await engine.databases.store.appendToStream(
      `drop-${dropId}`,
      [{ eventId: randomUUID(), type, schemaVersion: 99, data, metadata }],
      'any',
    );
    // The log moves on: storefront visits recorded more than a second later.
    await new Promise((r) => setTimeout(r, 1_500));
    const visit = { visitorId: 'c-1', channel: 'web', at: '2026-12-01T10:01:00Z' };
    expect((await engine.request('POST', `/drops/${dropId}/visits`, { visits: [visit] })).status).toBe(202);

    await eventually(
      'readiness failing on lag',
      readiness((r) => r.status === 503),
      20_000,
    );
    expect(last.body.code).toBe('HEALTH.NOT_READY');
    expect(last.check).toMatchObject({ status: 'down', maxLag: 10_000, maxLagSeconds: 1 });
    expect(last.check.lagSeconds).toBeGreaterThan(1);
    expect(last.check.lag).toBeLessThan(10);

    // The details are for staff (the default token here is ops). An anonymous probe, a load
    // balancer's, gets the same status and code, and each check's up or down only: a reader's last
    // error or a probe's message can name hosts, tables and event ids.
    const anonymous = await engine.request('GET', '/health/ready', undefined, {}, { token: null });
    expect(anonymous.status).toBe(503);
    expect(anonymous.body.code).toBe('HEALTH.NOT_READY');
    const statuses = Object.fromEntries(
      Object.entries(last.body.checks as Record<string, { status: string }>).map(([k, v]) => [k, { status: v.status }]),
    );
    expect(anonymous.body.checks).toEqual(statuses);
    expect(anonymous.body.checks['lag:projection:drops']).toEqual({ status: 'down' });
  });
});

/**
 * Readiness that means caught up (issue 16): a reader's lag counts only what it would handle, so
 * storefront visits (which no projection of drops reads) never make a caught-up engine unready,
 * however many of them follow its checkpoint.
 */
describe('readiness with unrelated traffic after a caught-up projection (embedded engine)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-12-01T10:00:00Z', env: { READY_MAX_LAG_EVENTS: '100' } });
  });
  afterAll(async () => engine?.close());

  const dropsCheck = async () => {
    const res = await engine.request('GET', '/health/ready');
    return { status: res.status, check: (res.body.details ?? res.body.checks)?.['lag:projection:drops'] };
  };

  it('stays ready with lag 0 after 150 visit events, and read models answer lag 0', async () => {
    const dropId: string = (await engine.request('POST', '/drops', harbourHoodie({}))).body.dropId;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    await eventually('a caught-up projection', async () => (await dropsCheck()).check?.lag === 0, 20_000);
    const caughtUp = (await engine.request('GET', `/drops/${dropId}/inventory`)).body.readModel;
    expect(caughtUp).toMatchObject({ lagEvents: 0, lagSeconds: 0 });

    for (let i = 0; i < 150; i++) {
      const visit = { visitorId: `c-${i}`, channel: 'web', at: '2026-12-01T10:01:00Z' };
      expect((await engine.request('POST', `/drops/${dropId}/visits`, { visits: [visit] })).status).toBe(202);
    }
    const visits = await engine.databases.store.readStream(`visits-${dropId}`);
    expect(visits.length).toBeGreaterThanOrEqual(150);
    // 150 events were appended after the projection's checkpoint, more than READY_MAX_LAG_EVENTS.
    const checkpoint = caughtUp.checkpoint as string;
    expect(await engine.databases.store.countAfter!(checkpoint)).toBeGreaterThan(100);

    const after = await dropsCheck();
    expect(after).toEqual({ status: 200, check: expect.objectContaining({ status: 'up', lag: 0, lagSeconds: 0, maxLag: 100 }) });
    const readModel = (await engine.request('GET', `/drops/${dropId}/inventory`)).body.readModel;
    expect(readModel).toMatchObject({ lagEvents: 0, lagSeconds: 0 });

    // A reader still at that checkpoint when a drop event follows the visits is one event behind,
    // not 151: it counts what it would handle, not what other streams wrote in between.
    expect((await engine.request('POST', '/drops', harbourHoodie({}))).status).toBe(201);
    const lag = await measureLag(engine.databases.store, checkpoint, { streamPrefixes: ['drop-'] });
    expect(lag.lagEvents).toBe(1);
  });
});
