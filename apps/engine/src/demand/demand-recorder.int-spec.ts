import { DomainError } from '@dropline/domain';
import { PostgresEventStore, type EventStore } from '@dropline/event-store';
import { campaignSeriesOf } from '@dropline/replay';
import type { Pool } from 'pg';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { ManualClock } from '@dropline/platform';
import { DemandRecorder } from './demand-recorder';

const silent = { logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } } as never;

/** A store whose appends are stored and then answered with an error (a timeout after the commit), `times` times. */
function storedButFailing(store: EventStore, times: number): EventStore & { failed: number } {
  const wrapper = Object.assign(Object.create(store) as EventStore, {
    failed: 0,
    appendToStream: async (...args: Parameters<EventStore['appendToStream']>) => {
      const result = await store.appendToStream(...args);
      if (wrapper.failed >= times) return result;
      wrapper.failed++;
      throw new Error('deadline exceeded');
    },
  });
  return wrapper;
}

function suite(open: () => Promise<{ pool: Pool; close(): Promise<void> }>) {
  let db: { pool: Pool; close(): Promise<void> };
  let store: EventStore;
  beforeAll(async () => {
    db = await open();
    store = new PostgresEventStore(db.pool, silent);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('appends one DemandTurnedAway per drop, SKU and reason per interval, and the replay counts it as demand', async () => {
    const clock = new ManualClock(new Date('2027-03-04T13:00:00.000Z'));
    const recorder = new DemandRecorder(store, clock);
    recorder.recordRejection('d1', 'TEE-M', 1, new DomainError('DROP.SOLD_OUT', 'sold out', { sku: 'TEE-M', available: 0 }));
    recorder.recordRejection('d1', 'TEE-M', 2, new DomainError('DROP.SOLD_OUT', 'sold out', { sku: 'TEE-M', available: 0 }));
    recorder.recordRejection('d1', 'TEE-M', 3, new DomainError('DROP.INSUFFICIENT_STOCK', 'only 1 left', { sku: 'TEE-M', available: 1 }));
    recorder.recordRejection('d2', 'CAP', 1, new DomainError('DROP.SOLD_OUT', 'sold out'));
    // Other rejections are not demand the drop failed to serve.
    recorder.recordRejection('d1', 'TEE-M', 5, new DomainError('PREORDER.LIMIT_EXCEEDED', 'limit'));
    recorder.recordRejection('d1', 'TEE-M', 5, new Error('boom'));
    clock.advance(5_000);
    await recorder.flush();

    const d1 = await store.readStream('demand-d1');
    expect(d1.map((e) => e.data)).toEqual([
      {
        dropId: 'd1',
        sku: 'TEE-M',
        units: 3,
        requests: 2,
        reason: 'sold-out',
        intervalStart: '2027-03-04T13:00:00.000Z',
        intervalEnd: '2027-03-04T13:00:05.000Z',
      },
      {
        dropId: 'd1',
        sku: 'TEE-M',
        units: 3,
        requests: 1,
        reason: 'insufficient-stock',
        intervalStart: '2027-03-04T13:00:00.000Z',
        intervalEnd: '2027-03-04T13:00:05.000Z',
      },
    ]);
    expect(d1[0]).toMatchObject({ type: 'DemandTurnedAway', schemaVersion: 1, metadata: { actor: 'system:demand-recorder' } });
    expect((await store.readStream('demand-d2')).map((e) => e.data.units)).toEqual([1]);

    // Nothing counted, nothing appended; the idle interval ends all the same (an hour idle is
    // not part of the next interval: its day would be wrong, or before the drop existed).
    clock.advance(3_600_000);
    await recorder.flush();
    expect(await store.readStream('demand-d1')).toHaveLength(2);

    // The next interval starts where the last ended; shutdown flushes what is left.
    recorder.record('d1', 'TEE-M', 'sold-out', 4);
    clock.advance(1_000);
    await recorder.onApplicationShutdown();
    const after = await store.readStream('demand-d1');
    expect(after.at(-1)!.data).toMatchObject({
      units: 4,
      requests: 1,
      intervalStart: '2027-03-04T14:00:05.000Z',
      intervalEnd: '2027-03-04T14:00:06.000Z',
    });

    const series = campaignSeriesOf(after);
    expect(series.series[0]).toMatchObject({ sku: 'TEE-M', demand: [10], turnedAway: [10], accepted: [0] });
  });

  it('keeps the events of a failed append and stores them once with the next flush, before what was counted since', async () => {
    const clock = new ManualClock(new Date('2027-03-05T09:00:00.000Z'));
    let failures = 1;
    const flaky: EventStore = Object.assign(Object.create(store) as EventStore, {
      appendToStream: (...args: Parameters<EventStore['appendToStream']>) =>
        failures-- > 0 ? Promise.reject(new Error('store down')) : store.appendToStream(...args),
    });
    const recorder = new DemandRecorder(flaky, clock);
    recorder.record('d3', 'HOOD-L', 'sold-out', 2);
    clock.advance(5_000);
    await recorder.flush();
    expect(await store.readStream('demand-d3')).toEqual([]);
    recorder.record('d3', 'HOOD-L', 'sold-out', 1);
    clock.advance(5_000);
    await recorder.flush();
    expect((await store.readStream('demand-d3')).map((e) => e.data)).toEqual([
      {
        dropId: 'd3',
        sku: 'HOOD-L',
        units: 2,
        requests: 1,
        reason: 'sold-out',
        intervalStart: '2027-03-05T09:00:00.000Z',
        intervalEnd: '2027-03-05T09:00:05.000Z',
      },
      {
        dropId: 'd3',
        sku: 'HOOD-L',
        units: 1,
        requests: 1,
        reason: 'sold-out',
        intervalStart: '2027-03-05T09:00:05.000Z',
        intervalEnd: '2027-03-05T09:00:10.000Z',
      },
    ]);
    await recorder.onApplicationShutdown();
  });

  it('an append that was stored but answered with an error is not appended again, while another engine appends too', async () => {
    const clock = new ManualClock(new Date('2027-03-06T09:00:00.000Z'));
    const failing = storedButFailing(store, 2);
    const recorder = new DemandRecorder(failing, clock);
    const otherEngine = new DemandRecorder(store, clock);
    recorder.record('d4', 'TEE-S', 'sold-out', 2);
    clock.advance(5_000);
    await recorder.flush();
    expect(failing.failed).toBe(1);
    // Meanwhile another engine's recorder appends to the same stream, moving its revision.
    otherEngine.record('d4', 'TEE-S', 'insufficient-stock', 7);
    await otherEngine.flush();
    // The next flush finds the first batch in the stream and does not append it again; its own batch is stored but answered with an error too.
    recorder.record('d4', 'TEE-S', 'sold-out', 3);
    clock.advance(5_000);
    await recorder.flush();
    expect(failing.failed).toBe(2);
    recorder.record('d4', 'TEE-S', 'sold-out', 4);
    clock.advance(5_000);
    await recorder.onApplicationShutdown();
    const events = await store.readStream('demand-d4');
    expect(events.map((e) => [e.data.reason, e.data.units, e.data.requests])).toEqual([
      ['sold-out', 2, 1],
      ['insufficient-stock', 7, 1],
      ['sold-out', 3, 1],
      ['sold-out', 4, 1],
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(campaignSeriesOf(events).series[0]).toMatchObject({ sku: 'TEE-S', turnedAway: [16] });
  });

  it('two engines flushing the same drop at once both store their counts (a revision conflict is re-read and retried)', async () => {
    const clock = new ManualClock(new Date('2027-03-07T09:00:00.000Z'));
    const recorders = [new DemandRecorder(store, clock), new DemandRecorder(store, clock), new DemandRecorder(store, clock)];
    recorders.forEach((r, i) => r.record('d5', 'CAP', 'sold-out', i + 1));
    clock.advance(5_000);
    await Promise.all(recorders.map((r) => r.flush()));
    const events = await store.readStream('demand-d5');
    expect(events.map((e) => e.data.units).sort()).toEqual([1, 2, 3]);
  });
}

describe('DemandRecorder on PGlite', () => {
  suite(async () => createTestEmbeddedDatabase());
});

describeWithPostgres('DemandRecorder on PostgreSQL', () => {
  suite(async () => {
    const db = await createTestPostgresDatabase('demand');
    return { pool: db.pool, close: () => db.drop() };
  });
});
