import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase, type ReadAllOptions } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, EffectivelyOnceConsumer, type OutboundMessage, Relay, StoreFeed, TableDeadLetterSink } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { numbered, RecordingHandler } from './fixtures';

/**
 * The relay and the in-process feed read the log with a filter (`drop-`). Events of other streams
 * (storefront visits, demand) are scanned and left out; the checkpoint moves past them, so they are
 * never scanned again and the lag of a caught-up reader is 0, not the number of visits since its
 * last drop event (which once made /health/ready answer 503 on a caught-up engine).
 */
describe('filtered log readers pass the events they leave out (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  const reads: Array<ReadAllOptions | undefined> = [];
  const codec = dropEventsCodec('/dropline/test');
  const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    const readAll = store.readAll.bind(store);
    store.readAll = (options) => {
      reads.push(options);
      return readAll(options);
    };
    await new CheckpointStore(db.pool).ensureSchema();
    await store.appendToStream(
      'drop-filtered',
      Array.from({ length: 5 }, (_, seq) => numbered('filtered', seq)),
      'no_stream',
    );
    for (let i = 0; i < 12; i++) {
      await store.appendToStream(
        'visits-filtered',
        Array.from({ length: 25 }, (_, seq) => ({ ...numbered('filtered', seq), type: 'StorefrontVisited' })),
        'any',
      );
    }
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  /** Position of the last event in the log (the last visit). */
  async function lastOfLog(): Promise<string> {
    const [last] = await store.readStream('visits-filtered', { direction: 'backwards', maxCount: 1 });
    return last.position;
  }

  it('relay: the checkpoint passes the visits after the last drop event, its lag is 0, and an idle round reads once and writes nothing', async () => {
    const sent: OutboundMessage[] = [];
    const publisher = { publish: async (m: OutboundMessage[]) => void sent.push(...m), close: async () => undefined };
    const checkpoints = new CheckpointStore(db.pool);
    const relay = new Relay(store, codec, publisher, checkpoints, new ProcessLease('relay:filtered', db.pool), {
      name: 'relay:filtered',
      filter: { streamPrefixes: ['drop-'] },
      batchSize: 100,
      logger: silent,
    });
    expect(await relay.publishNextBatch()).toEqual({ published: 5, isEnd: true });
    const checkpoint = (await checkpoints.load('relay:filtered'))?.position;
    expect(checkpoint).toBe(await lastOfLog());
    expect(await store.countAfter(checkpoint)).toBe(0);

    const save = jest.spyOn(checkpoints, 'save');
    reads.length = 0;
    expect(await relay.publishNextBatch()).toEqual({ published: 0, isEnd: true });
    expect(reads).toHaveLength(1);
    expect(save).not.toHaveBeenCalled();
  });

  it('in-process feed: the checkpoint passes the visits, so the next pump starts after them', async () => {
    const handler = new RecordingHandler('filtered_feed');
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, new TableDeadLetterSink(db.pool, 'filtered_feed'));
    await consumer.migrate();
    const feed = new StoreFeed(store, codec, consumer, db.pool, new ProcessLease('consumer:filtered', db.pool), {
      filter: { streamPrefixes: ['drop-'] },
      batchSize: 100,
    });
    await feed.migrate();
    expect(await feed.pumpOnce()).toEqual({ handled: 5, isEnd: true });
    expect((await new CheckpointStore(db.pool).load('consumer:filtered_feed'))?.position).toBe(await lastOfLog());
    reads.length = 0;
    expect(await feed.pumpOnce()).toEqual({ handled: 0, isEnd: true });
    expect(reads.map((r) => r?.fromPosition)).toEqual([await lastOfLog()]);
  });
});
