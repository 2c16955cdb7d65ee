import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { dropStreamName, restockStreamName, upcast } from '@dropline/domain';
import { PostgresEventStore, type EventStore, type RecordedEvent } from '@dropline/event-store';
import { readAllShowing } from '../../../../test/support/log';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { DropReadModelsProjection, DROP_READ_MODEL_TABLES } from '../drops/drop-read-models.projection';
import { ProjectionRunner } from '../projection-runner';
import { appendInterleaved, dropHistory } from '../testing/drop-history';
import { openReadModels } from '../typeorm/read-models.data-source';
import { CheckpointStore, LeaseLostError } from '@dropline/runtime';
import { RESTOCK_REACTOR_CHECKPOINT, RestockReactor } from './restock.reactor';

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

function suite(open: () => Promise<{ pool: Pool; close(): Promise<void> }>) {
  let db: { pool: Pool; close(): Promise<void> };
  let store: PostgresEventStore;
  let drops = 0;

  beforeAll(async () => {
    db = await open();
    await (await openReadModels(db.pool)).destroy();
    await new CheckpointStore(db.pool).ensureSchema();
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  /** Appends whole histories of `n` new drops (they cross reorder points: sales outrun the elapsed window's demand). */
  async function seed(n: number): Promise<{ ids: string[]; events: number }> {
    const histories = new Map<string, ReturnType<typeof dropHistory>>();
    for (let i = 0; i < n; i++) {
      const id = `rx${++drops}`;
      histories.set(id, dropHistory(id, drops, { orders: 60, leadTimeDays: 1 + (drops % 4) }));
    }
    return { ids: [...histories.keys()], events: await appendInterleaved(store, histories) };
  }

  /** Drop events the reactor has folded so far. */
  async function folded(): Promise<number> {
    const { rows } = await db.pool.query('select events_processed from dropline_checkpoints where name = $1', [RESTOCK_REACTOR_CHECKPOINT]);
    return Number(rows[0]?.events_processed ?? 0);
  }

  /**
   * Runs the reactor until it has folded `events` drop events. On PostgreSQL the store reads only
   * below the safe horizon, which another suite's open transaction may hold back for a moment.
   */
  async function runUntil(reactor: RestockReactor, events: number): Promise<number> {
    let appended = 0;
    for (const deadline = Date.now() + 30_000; ;) {
      appended += await reactor.runOnce();
      if ((await folded()) >= events) return appended;
      if (Date.now() > deadline) throw new Error(`folded ${await folded()} of ${events} events`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Crossing numbers per SKU as stored, in stream order. */
  async function stored(dropId: string): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const e of await store.readStream(restockStreamName(dropId))) {
      const { sku, crossing } = upcast(e.type, e.schemaVersion, e.data) as { sku: string; crossing: number };
      (out[sku] ??= []).push(crossing);
    }
    return out;
  }

  /** The crossings the drop read models count for these drops, as the stream should hold them: 1..n per SKU. */
  async function expected(ids: string[]): Promise<Record<string, Record<string, number[]>>> {
    const runner = new ProjectionRunner({ store, pool: db.pool, projection: new DropReadModelsProjection() });
    // On PostgreSQL one pass may stop below the safe horizon (another suite's open transaction
    // holds it back): catch up until each drop's summary is at its stream's last event.
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
      await runner.catchUp();
      const { rows: summaries } = await db.pool.query<{ drop_id: string; last_revision: number }>(
        'select drop_id, last_revision from rm_drop_summary where drop_id = any($1)',
        [ids],
      );
      const last = await Promise.all(ids.map(async (id) => (await store.readStream(dropStreamName(id))).length - 1));
      if (ids.every((id, i) => summaries.some((r) => r.drop_id === id && Number(r.last_revision) === last[i]))) break;
      if (Date.now() > deadline) throw new Error(`the drop read models never caught up: ${JSON.stringify(summaries)}`);
    }
    const { rows } = await db.pool.query(
      'select drop_id, sku, crossings from rm_restock_thresholds where drop_id = any($1) and crossings > 0 order by 1, 2',
      [ids],
    );
    const out: Record<string, Record<string, number[]>> = {};
    for (const id of ids) out[id] = {};
    for (const r of rows) out[r.drop_id][r.sku] = Array.from({ length: r.crossings }, (_, i) => i + 1);
    return out;
  }

  async function storedAll(ids: string[]): Promise<Record<string, Record<string, number[]>>> {
    const out: Record<string, Record<string, number[]>> = {};
    for (const id of ids) out[id] = await stored(id);
    return out;
  }

  it('works from the log alone: read-model tables empty and a rebuild running, it emits each crossing once', async () => {
    const before = await folded();
    const { ids, events } = await seed(3);
    await db.pool.query(`truncate ${DROP_READ_MODEL_TABLES.join(', ')}`);
    await ProjectionRunner.requestRebuild(db.pool, 'drops');
    const reactor = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    const appended = await runUntil(reactor, before + events);
    expect(appended).toBeGreaterThan(0);
    expect(await reactor.runOnce()).toBe(0);
    // The read models, folded afterwards from the same log, count the same crossings.
    await db.pool.query(`delete from rm_projection_rebuilds`);
    await db.pool.query(`delete from dropline_checkpoints where name = 'projection:drops'`);
    expect(await storedAll(ids)).toEqual(await expected(ids));
    const total = Object.values(await storedAll(ids)).reduce((n, bySku) => n + Object.values(bySku).flat().length, 0);
    expect(appended).toBe(total);
  });

  it('lost state and checkpoint (a replay of the whole log) append nothing, on a store that writes second copies', async () => {
    const { ids, events } = await seed(2);
    const reactor = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    const all = (await folded()) + events;
    expect(await runUntil(reactor, all)).toBeGreaterThan(0);
    const streams = await storedAll(ids);
    await db.pool.query(`truncate rm_restock_reactor, rm_restock_reactor_pre_orders`);
    await db.pool.query('delete from dropline_checkpoints where name = $1', [RESTOCK_REACTOR_CHECKPOINT]);
    expect(await runUntil(reactor, all)).toBe(0);
    expect(await storedAll(ids)).toEqual(streams);
    // Crossing numbers continue where the stream is: its state, rebuilt from the log, has them as emitted.
    const { rows } = await db.pool.query(
      `select sku, crossings_emitted, (threshold->>'crossings')::int as crossings from rm_restock_reactor where drop_id = $1`,
      [ids[0]],
    );
    for (const r of rows) expect(r.crossings_emitted).toBe(r.crossings);
  });

  it('appends nothing once its lease is gone (a reactor paused past its expiry), and saves no checkpoint', async () => {
    const { ids, events } = await seed(3);
    // On PostgreSQL the log shows an append only below the safe horizon, which another suite's open
    // transaction may hold back for a moment: wait until the page holds every seeded event.
    const page = await readAllShowing(store, { filter: { streamPrefixes: ids.map((id) => `drop-${id}`) }, maxCount: 10_000 }, events);
    expect(page.events).toHaveLength(events);
    const reactor = new RestockReactor({ store, pool: db.pool });
    let saved = false;
    const handling = reactor.handlePage(page.events, {
      held: () => false,
      saveCheckpoint: async () => {
        saved = true;
      },
    });
    await expect(handling).rejects.toThrow(LeaseLostError);
    for (const id of ids) expect(await stored(id)).toEqual({});
    expect(saved).toBe(false);
  });

  it('a crash between the append and the commit of its state does not duplicate on the retry', async () => {
    const { ids, events } = await seed(2);
    const all = (await folded()) + events;
    const crashing = new RestockReactor({ store: crashesAfterNextAppend(store), pool: db.pool });
    await expect(runUntil(crashing, all)).rejects.toThrow('process killed after the append');
    const restarted = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool });
    await runUntil(restarted, all);
    expect(await storedAll(ids)).toEqual(await expected(ids));
  });

  it('names the drop event that made each crossing as its causation, keeps its correlation and trace, and the read model keeps the last one', async () => {
    const { ids, events } = await seed(2);
    const all = (await folded()) + events;
    // Small pages: crossings of one SKU fall into different pages, and some pages hold several.
    const reactor = new RestockReactor({ store, pool: db.pool, pageSize: 25 });
    expect(await runUntil(reactor, all)).toBeGreaterThan(0);
    await expected(ids);
    for (const dropId of ids) {
      const lastBySku = new Map<string, { crossing: number; causationId: string | null }>();
      const recommendations = await store.readStream(restockStreamName(dropId));
      expect(recommendations.length).toBeGreaterThan(0);
      for (const r of recommendations) {
        const { sku, crossing } = upcast(r.type, r.schemaVersion, r.data) as { sku: string; crossing: number };
        expect(r.metadata.causationId).toEqual(expect.any(String));
        const cause = await store.readEvent(r.metadata.causationId!);
        expect(cause).toBeDefined();
        expect(cause!.streamName).toBe(`drop-${dropId}`);
        expect(r.metadata.correlationId).toBe(cause!.metadata.correlationId);
        // …and continues its trace: a consumer's handling span joins the crossing request's trace.
        expect(r.metadata.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        expect(r.metadata.traceparent).toBe(cause!.metadata.traceparent);
        lastBySku.set(sku, { crossing, causationId: r.metadata.causationId });
      }
      // Two independent folds agree: the read model's last crossing event is the reactor's cause of it.
      const { rows } = await db.pool.query(
        'select sku, crossings, last_crossing_event_id from rm_restock_thresholds where drop_id = $1 and crossings > 0',
        [dropId],
      );
      expect(rows.length).toBe(lastBySku.size);
      for (const row of rows) expect(lastBySku.get(row.sku)).toEqual({ crossing: row.crossings, causationId: row.last_crossing_event_id });
    }
  });

  it("each recommendation carries its own crossing's figures, in whole units, whatever the pages it was folded in", async () => {
    // The same history twice: one folded an event per page (each crossing's figures are those
    // right after its event), the other in one page (a reactor catching up after downtime).
    const one = `rx${++drops}`;
    const all = `rx${++drops}`;
    const histories = new Map([
      [one, dropHistory(one, 7, { orders: 60, leadTimeDays: 2 })],
      [all, dropHistory(all, 7, { orders: 60, leadTimeDays: 2 })],
    ]);
    await appendInterleaved(store, histories);
    const reactor = new RestockReactor({ store, pool: db.pool });
    const context = { saveCheckpoint: async () => undefined };
    // A filtered page may hold none of the drop's events yet: read on until the end of the log, and
    // again until it shows the whole history (on PostgreSQL, another suite's open transaction may
    // hold the safe horizon back for a moment).
    const readThrough = async (id: string) => {
      const events: RecordedEvent[] = [];
      for (let from: string | undefined; ;) {
        const page = await store.readAll({ fromPosition: from, maxCount: 1_000, filter: { streamPrefixes: [`drop-${id}`] } });
        events.push(...page.events);
        const next = page.position ?? page.events.at(-1)?.position;
        if (next === undefined || next === from) return events;
        from = next;
      }
    };
    const eventsOf = async (id: string) => {
      for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
        const events = await readThrough(id);
        if (events.length === histories.get(id)!.length || Date.now() > deadline) return events;
      }
    };
    for (const event of await eventsOf(one)) await reactor.handlePage([event], context);
    await reactor.handlePage(await eventsOf(all), context);

    type Recommendation = { sku: string; crossing: number; reorderPoint: number; available: number; recommendedAt: string };
    // By SKU and crossing: one page appends its SKUs' crossings SKU by SKU.
    const recommendations = async (id: string) =>
      (await store.readStream(restockStreamName(id)))
        .map((e) => {
          const data = upcast(e.type, e.schemaVersion, e.data) as Recommendation & { dropId: string };
          return { ...data, dropId: 'x', sku: data.sku.replace(id, 'x') };
        })
        .sort((a, b) => a.sku.localeCompare(b.sku) || a.crossing - b.crossing);
    const byEvent = await recommendations(one);
    expect(byEvent.length).toBeGreaterThan(1);
    expect(await recommendations(all)).toEqual(byEvent);
    for (const r of byEvent) {
      expect(Number.isInteger(r.reorderPoint)).toBe(true);
      expect(r.available).toBeLessThanOrEqual(r.reorderPoint);
    }
  });

  it('two reactors racing over the same pages (a lease takeover) append each crossing once', async () => {
    const { ids, events } = await seed(3);
    const all = (await folded()) + events;
    const a = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool, pageSize: 40 });
    const b = new RestockReactor({ store: writesSecondCopies(store), pool: db.pool, pageSize: 40 });
    const [byA, byB] = await Promise.all([runUntil(a, all), runUntil(b, all)]);
    const want = await expected(ids);
    expect(await storedAll(ids)).toEqual(want);
    expect(byA + byB).toBe(Object.values(want).reduce((n, bySku) => n + Object.values(bySku).flat().length, 0));
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
