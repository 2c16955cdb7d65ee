import { Client } from 'pg';
import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, EffectivelyOnceConsumer, StoreFeed, TableDeadLetterSink } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { appendInterleaved, numbered, RecordingHandler } from './fixtures';

/**
 * The in-process feed applies a page in one transaction of the consumer (rows, ce_ids and the
 * checkpoint past the page), with the delivery semantics of one event at a time: each event
 * once, duplicates changing nothing, a rejected event dead-lettered while the others apply, a
 * transient failure writing nothing of the page.
 */
describe('StoreFeed pages (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  const codec = dropEventsCodec('/dropline/test');

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  /** Counts the transactions opened from now on (`begin` on any pg client). */
  function transactions(): { count(): number; restore(): void } {
    const query = jest.spyOn(Client.prototype, 'query');
    return {
      count: () => query.mock.calls.filter(([text]) => text === 'begin').length,
      restore: () => query.mockRestore(),
    };
  }

  /** A feed over `drop-<prefix>…` streams with its consumer, and the consumer's tables. */
  async function feedFor(name: string, batchSize = 100) {
    const handler = new RecordingHandler(name);
    const deadLetters = new TableDeadLetterSink(db.pool, name);
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, deadLetters);
    await consumer.migrate();
    await deadLetters.ensureSchema();
    const feed = new StoreFeed(store, codec, consumer, db.pool, new ProcessLease(`consumer:${name}`, db.pool), {
      filter: { streamPrefixes: [`drop-${name}`] },
      batchSize,
    });
    await feed.migrate();
    const applied = async () =>
      (await db.pool.query(`select ce_id, drop_id, seq from ${name}.applied order by ordinal`)).rows as Array<{
        ce_id: string;
        drop_id: string;
        seq: number;
      }>;
    const processed = async () =>
      (await db.pool.query(`select ce_id, outcome from ${name}.processed_events order by ce_id`)).rows as Array<{
        ce_id: string;
        outcome: string;
      }>;
    const checkpoint = () => new CheckpointStore(db.pool).load(`consumer:${name}`);
    return { handler, feed, applied, processed, checkpoint };
  }

  it('applies a page once in one transaction, checkpoint past it; a page read again after a lost checkpoint changes nothing', async () => {
    const ids = await appendInterleaved(store, ['pagea-1', 'pagea-2'], 10);
    const { feed, applied, checkpoint } = await feedFor('pagea');
    const opened = transactions();
    expect(await feed.pumpOnce()).toEqual({ handled: 20, isEnd: true });
    expect(opened.count()).toBe(1);
    opened.restore();
    const rows = await applied();
    expect(rows.map((r) => r.ce_id).sort()).toEqual([...ids].sort());
    for (const dropId of ['pagea-1', 'pagea-2'])
      expect(rows.filter((r) => r.drop_id === dropId).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const events = (await store.readAll({ filter: { streamPrefixes: ['drop-pagea'] } })).events;
    const after = await checkpoint();
    expect(after).toMatchObject({ position: events.at(-1)!.position, eventsProcessed: 20, lastEventAt: events.at(-1)!.recordedAt });

    // The checkpoint lost (a crash between the commit of the consumer's rows and … nothing: here, wiped by hand).
    await db.pool.query(`delete from dropline_checkpoints where name = 'consumer:pagea'`);
    expect(await feed.pumpOnce()).toEqual({ handled: 20, isEnd: true });
    expect(await applied()).toEqual(rows);
    expect(await checkpoint()).toMatchObject({ position: after!.position, eventsProcessed: 0 });
  });

  it('dead-letters a rejected event of a page and applies the others, each once', async () => {
    const ids = await appendInterleaved(store, ['pageb'], 10);
    const { handler, feed, applied, processed, checkpoint } = await feedFor('pageb');
    handler.reject = (e) => e.id === ids[4];
    expect(await feed.pumpOnce()).toEqual({ handled: 10, isEnd: true });
    expect((await applied()).map((r) => r.seq)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect((await processed()).find((p) => p.ce_id === ids[4])?.outcome).toBe('dead-lettered');
    expect((await processed()).filter((p) => p.outcome === 'applied')).toHaveLength(9);
    const dead = await db.pool.query(`select reason from pageb.dead_letters`);
    expect(dead.rows).toEqual([{ reason: 'rejected:TEST.REJECTED' }]);
    const events = (await store.readAll({ filter: { streamPrefixes: ['drop-pageb'] } })).events;
    expect(await checkpoint()).toMatchObject({ position: events.at(-1)!.position, eventsProcessed: 9 });
  });

  it('writes nothing of a page whose event fails transiently, and applies the whole page when read again', async () => {
    const ids = await appendInterleaved(store, ['pagec'], 10);
    const { handler, feed, applied, processed, checkpoint } = await feedFor('pagec');
    handler.failFirst = 1;
    handler.failOnly = new Set([ids[6]]);
    await expect(feed.pumpOnce()).rejects.toThrow(/ECONNREFUSED/);
    expect(await applied()).toEqual([]);
    expect(await processed()).toEqual([]);
    expect(await checkpoint()).toBeUndefined();
    expect(await feed.pumpOnce()).toEqual({ handled: 10, isEnd: true });
    expect((await applied()).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('moves past a page without an event of its types with no transaction of the consumer', async () => {
    await store.appendToStream(
      'drop-paged',
      Array.from({ length: 3 }, (_, seq) => ({ ...numbered('paged', seq), type: 'DropMembersAdded' })),
      'no_stream',
    );
    const { feed, processed, checkpoint } = await feedFor('paged');
    const opened = transactions();
    expect(await feed.pumpOnce()).toEqual({ handled: 3, isEnd: true });
    expect(opened.count()).toBe(0);
    opened.restore();
    expect(await processed()).toEqual([]);
    const [last] = await store.readStream('drop-paged', { direction: 'backwards', maxCount: 1 });
    expect(await checkpoint()).toMatchObject({ position: last.position, eventsProcessed: 0 });
  });
});
