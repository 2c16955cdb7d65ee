import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { restockStreamName, upcast } from '@dropline/domain';
import { PostgresEventStore, type EventStore } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { openReadModels } from '../typeorm/read-models.data-source';
import { LeaseLostError } from '@dropline/runtime';
import { RestockReactor } from './restock.reactor';

/**
 * A store that writes a second copy of an event whose id is already stored, as EventStoreDB does
 * once the id has left its in-memory cache (or after a restart). PostgreSQL refuses a repeated
 * id, so the copy gets a fresh one: what matters is that the store does not refuse it.
 */
function writesSecondCopies(store: EventStore): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    appendToStream: (...[stream, events, expected]: Parameters<EventStore['appendToStream']>) =>
      store.appendToStream(
        stream,
        events.map((e) => ({ ...e, eventId: randomUUID() })),
        expected,
      ),
  });
}

/** A store whose next append commits and then fails, as if the process died right after it. */
function crashesAfterNextAppend(store: EventStore): EventStore {
  let crashed = false;
  return Object.assign(Object.create(store) as EventStore, {
    appendToStream: async (...args: Parameters<EventStore['appendToStream']>) => {
      const result = await store.appendToStream(...args);
      if (crashed) return result;
      crashed = true;
      throw new Error('process killed after the append');
    },
  });
}

/** A threshold row as the drops projection leaves it, with `crossings` counted. */
async function threshold(pool: Pool, dropId: string, sku: string, crossings: number): Promise<void> {
  await pool.query(
    `insert into rm_restock_thresholds (drop_id, sku, lead_time_days, service_level, window_start, window_end, daily_sales, daily_units,
       units_handed_over, returns_by_reason, restockable_return_rate, mean_daily_units, std_dev_daily_units, z, safety_stock,
       reorder_point, available, above_reorder_point, crossings, last_crossing_at)
     values ($1, $2, 14, 0.95, '2027-01-01T00:00:00Z', null, '{}', '[]', 0, '{}', 0, 2, 1, 1.64485, 3, 31, 30, false, $3, '2027-01-05T10:00:00Z')
     on conflict (drop_id, sku) do update set crossings = excluded.crossings`,
    [dropId, sku, crossings],
  );
}

function suite(open: () => Promise<{ pool: Pool; close(): Promise<void> }>) {
  let db: { pool: Pool; close(): Promise<void> };
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await open();
    await (await openReadModels(db.pool)).destroy();
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  /** Crossing numbers per SKU as stored, in stream order. */
  async function stored(dropId: string): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const e of await store.readStream(restockStreamName(dropId))) {
      const { sku, crossing } = upcast(e.type, e.schemaVersion, e.data) as { sku: string; crossing: number };
      (out[sku] ??= []).push(crossing);
    }
    return out;
  }

  it('replaying the same crossings (progress lost) appends nothing, on a store that writes second copies of repeated ids', async () => {
    await threshold(db.pool, 'rx1', 'TEE-M', 2);
    await threshold(db.pool, 'rx1', 'TEE-L', 1);
    const reactor = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    expect(await reactor.runOnce()).toBe(3);
    expect(await reactor.runOnce()).toBe(0);
    await db.pool.query(`delete from rm_restock_reactor where drop_id = 'rx1'`);
    expect(await reactor.runOnce()).toBe(0);
    expect(await stored('rx1')).toEqual({ 'TEE-L': [1], 'TEE-M': [1, 2] });
    // A new crossing later appends only that one, at the next revision.
    await threshold(db.pool, 'rx1', 'TEE-M', 3);
    expect(await reactor.runOnce()).toBe(1);
    expect(await stored('rx1')).toEqual({ 'TEE-L': [1], 'TEE-M': [1, 2, 3] });
  });

  it('appends nothing once its lease is gone (a reactor paused past its expiry), and goes on when held again', async () => {
    await threshold(db.pool, 'rx0', 'TEE-S', 2);
    const lease = { name: 'reactor:restock', held: false };
    const reactor = new RestockReactor({ store, pool: db.pool });
    reactor.fenceWith(lease);
    await expect(reactor.runOnce()).rejects.toThrow(LeaseLostError);
    expect(await stored('rx0')).toEqual({});
    expect((await db.pool.query(`select * from rm_restock_reactor where drop_id = 'rx0'`)).rows).toEqual([]);
    lease.held = true;
    expect(await reactor.runOnce()).toBe(2);
    expect(await stored('rx0')).toEqual({ 'TEE-S': [1, 2] });
  });

  it('a crash between the append and the progress write does not duplicate on the retry', async () => {
    await threshold(db.pool, 'rx2', 'CAP', 2);
    const crashing = new RestockReactor({ store: crashesAfterNextAppend(store), pool: db.pool });
    await expect(crashing.runOnce()).rejects.toThrow('process killed after the append');
    expect((await db.pool.query(`select * from rm_restock_reactor where drop_id = 'rx2'`)).rows).toEqual([]);
    expect(await stored('rx2')).toEqual({ CAP: [1, 2] });
    const restarted = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    expect(await restarted.runOnce()).toBe(0);
    expect(await stored('rx2')).toEqual({ CAP: [1, 2] });
    expect((await db.pool.query(`select crossings_emitted from rm_restock_reactor where drop_id = 'rx2'`)).rows).toEqual([
      { crossings_emitted: 2 },
    ]);
  });

  it('two reactors racing for the same crossings (a lease takeover) append each one once', async () => {
    await threshold(db.pool, 'rx3', 'HOOD-S', 3);
    await threshold(db.pool, 'rx3', 'HOOD-M', 2);
    const a = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    const b = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    const [byA, byB] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(byA + byB).toBe(5);
    expect(await stored('rx3')).toEqual({ 'HOOD-M': [1, 2], 'HOOD-S': [1, 2, 3] });
  });
}

describe('restock reactor on PGlite', () => {
  suite(async () => createTestEmbeddedDatabase());
});

describeWithPostgres('restock reactor on PostgreSQL', () => {
  suite(async () => {
    const db = await createTestPostgresDatabase('restock');
    return { pool: db.pool, close: () => db.drop() };
  });
});
