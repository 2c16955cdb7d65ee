import { randomUUID } from 'node:crypto';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { readAllShowing } from '../../../test/support/log';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../test/support/postgres';
import { describeEventStoreContract, newEvent } from './event-store.contract';
import type { EventFilter, EventStore } from './event-store.port';
import { ensureEventStoreSchema } from './postgres/postgres.schema';
import { PostgresEventStore } from './postgres/postgres.event-store';
import { SharedLogReads } from './shared-log-reads';

describeEventStoreContract('SharedLogReads over the PostgreSQL adapter on PGlite', async () => {
  const db = await createTestEmbeddedDatabase();
  await ensureEventStoreSchema(db.pool);
  const store = new SharedLogReads(new PostgresEventStore(db.pool), { windowSize: 50, readCount: 7 });
  return {
    store,
    async dispose() {
      await store.close();
      await db.close();
    },
  };
});

// As the embedded engine builds it (libs/platform/src/infrastructure/databases.ts): every append of
// the suite goes through the wrapper, so answering a caught-up reader from memory keeps the port's semantics.
describeEventStoreContract('SharedLogReads as the sole writer (soleWriterRecheckMs) over the PostgreSQL adapter on PGlite', async () => {
  const db = await createTestEmbeddedDatabase();
  await ensureEventStoreSchema(db.pool);
  const store = new SharedLogReads(new PostgresEventStore(db.pool), { windowSize: 50, readCount: 7, soleWriterRecheckMs: 1_000 });
  return {
    store,
    async dispose() {
      await store.close();
      await db.close();
    },
  };
});

describeWithPostgres('SharedLogReads on PostgreSQL: readers at the head while appends go on', () => {
  it('gives every reader exactly what the store holds for its filter, in order, reading the log far fewer times', async () => {
    const db = await createTestPostgresDatabase('shared_log_reads');
    try {
      await ensureEventStoreSchema(db.pool);
      const inner = new PostgresEventStore(db.pool);
      let innerReadAlls = 0;
      const counted: EventStore = Object.assign(Object.create(inner) as EventStore, {
        readAll: (options: Parameters<EventStore['readAll']>[0]) => {
          innerReadAlls++;
          return inner.readAll(options);
        },
      });
      const shared = new SharedLogReads(counted, { windowSize: 400, readCount: 100 });
      const run = randomUUID().slice(0, 8);
      const streams = [`drop-a${run}`, `drop-b${run}`, `return-x${run}`];
      const filters: Array<EventFilter | undefined> = [
        undefined,
        { streamPrefixes: ['drop-'] },
        { eventTypes: ['B'] },
        { streamPrefixes: ['return-'], eventTypes: ['A', 'C'] },
        { streamPrefixes: [`drop-b${run}`] },
      ];
      let appending = true;
      let appended = 0;
      // Six appenders, 900 events in 300 batches of 1-5 across three streams and three types.
      const appenders = Array.from({ length: 6 }, async (_, a) => {
        for (let i = a; i < 300; i += 6) {
          const count = 1 + (i % 5);
          appended += count;
          const events = Array.from({ length: count }, (_, k) => newEvent('ABC'[(i + k) % 3], { i, k }));
          await shared.appendToStream(streams[i % 3], events, 'any');
        }
      });
      let calls = 0;
      // Five readers with their own filters and page sizes poll the head while the appends go on.
      const readers = filters.map(async (filter, r) => {
        const seen: string[] = [];
        let position: string | undefined;
        for (;;) {
          const finished = !appending;
          const page = await shared.readAll({ fromPosition: position, maxCount: [3, 50, 7, 200, 20][r], ...(filter ? { filter } : {}) });
          calls++;
          seen.push(...page.events.map((e) => e.eventId));
          position = page.position;
          if (page.isEnd && finished) return seen;
          if (page.isEnd) await new Promise((resolve) => setTimeout(resolve, 2));
        }
      });
      await Promise.all(appenders);
      // The readers stop at the first end they meet once the appends are done: wait until the log
      // shows every append (another suite's open transaction may hold the safe horizon back).
      await readAllShowing(inner, { maxCount: 10_000 }, appended);
      appending = false;
      const got = await Promise.all(readers);

      // What the store holds for each filter, read directly in one go.
      for (const [r, filter] of filters.entries()) {
        const direct = await inner.readAll({ maxCount: 10_000, ...(filter ? { filter } : {}) });
        expect(direct.isEnd).toBe(true);
        expect(got[r]).toEqual(direct.events.map((e) => e.eventId));
      }
      expect(got[0]).toHaveLength(appended);
      // The five readers made `calls` reads; the store was read far fewer times.
      expect(innerReadAlls).toBeLessThan(calls / 2);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
