import { randomUUID } from 'node:crypto';
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
  });
});
