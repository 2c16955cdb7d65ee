import { randomUUID } from 'node:crypto';
import { dropStreamName } from '@dropline/domain';
import { PostgresEventStore, type EmbeddedDatabase, type EventStore, type ReadAllOptions } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { ProjectionRunner } from './projection-runner';
import { DropReadModelsProjection } from './drops/drop-read-models.projection';
import { openReadModels } from './typeorm/read-models.data-source';
import { dropHistory, toNewFixtureEvent } from './testing/drop-history';

/**
 * The projection reads `drop-` streams; the log also holds storefront visits. Its checkpoint moves
 * past the visits it scanned, so a caught-up projection lags by 0 events (not by every visit since
 * its last drop event) and never scans them again.
 */
describe('projection checkpoint past filtered-out events (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let drops: number;
  const reads: Array<ReadAllOptions | undefined> = [];
  const runner = (over: EventStore = store) =>
    new ProjectionRunner({ store: over, pool: db.pool, projection: new DropReadModelsProjection(), pageSize: 50 });

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await (await openReadModels(db.pool)).destroy();
    store = new PostgresEventStore(db.pool);
    const history = dropHistory('pass', 3, { orders: 8 }).map(toNewFixtureEvent);
    drops = history.length;
    await store.appendToStream(dropStreamName('pass'), history, 'no_stream');
    for (let i = 0; i < 6; i++) {
      await store.appendToStream(
        'visits-pass',
        Array.from({ length: 50 }, () => ({ ...history[0], eventId: randomUUID(), type: 'StorefrontVisited' })),
        'any',
      );
    }
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('keeps reading after a page that passed only other events and is not the end (as EventStoreDB returns them)', async () => {
    // A store that, read from the start, first answers like a bounded scan over other streams.
    let first = true;
    const scanning: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        if (first && options?.fromPosition === undefined) {
          first = false;
          return { events: [], position: '0:0', isEnd: false };
        }
        return store.readAll(options);
      },
    });
    await runner(scanning).catchUp();
    expect(first).toBe(false);
    expect((await runner().checkpoint()).eventsProcessed).toBe(drops);
  });

  it('moves the checkpoint past the visits: lag 0 events, and an idle step reads once from there', async () => {
    const [lastVisit] = await store.readStream('visits-pass', { direction: 'backwards', maxCount: 1 });
    const projection = runner();
    await projection.catchUp();
    const checkpoint = await projection.checkpoint();
    expect(checkpoint.eventsProcessed).toBe(drops);
    expect(checkpoint.position).toBe(lastVisit.position);
    expect((await projection.lag()).lagEvents).toBe(0);

    const readAll = store.readAll.bind(store);
    const counting: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: (options?: ReadAllOptions) => {
        reads.push(options);
        return readAll(options);
      },
    });
    expect(await runner(counting).processPage()).toEqual({ applied: 0, isEnd: true });
    expect(reads.map((r) => r?.fromPosition)).toEqual([lastVisit.position]);
    expect((await projection.checkpoint()).position).toBe(lastVisit.position);
  });
});
