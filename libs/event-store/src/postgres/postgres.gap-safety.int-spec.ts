import { randomInt } from 'node:crypto';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { newEvent } from '../event-store.contract';
import type { RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres.event-store';

/**
 * The proof that the global log has no gaps: many writers on separate connections commit out of
 * order (a later global_position often commits before an earlier one), while one subscriber
 * follows live. Paging by global_position alone fails this test; the safe horizon must not.
 */
describeWithPostgres('PostgreSQL global log under concurrent writers', () => {
  const WRITERS = 8;
  const TOTAL = 20_000;
  const STREAMS = 12;
  let db: Awaited<ReturnType<typeof createTestPostgresDatabase>>;

  beforeAll(async () => {
    db = await createTestPostgresDatabase('gap_safety', { poolSize: WRITERS + 2 });
  }, 30_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('a live subscriber sees every event exactly once, each stream in revision order', async () => {
    const writer = new PostgresEventStore(db.pool);
    const reader = new PostgresEventStore(db.pool);
    const subscription = reader.subscribeToAll({ batchSize: 1000 });
    const seen: RecordedEvent[] = [];
    const following = (async () => {
      for await (const event of subscription) {
        seen.push(event);
        if (seen.length === TOTAL) break;
      }
    })();

    try {
      let remaining = TOTAL;
      const takeBatch = () => {
        const size = Math.min(remaining, randomInt(1, 9));
        remaining -= size;
        return size;
      };
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let size = takeBatch(); size > 0; size = takeBatch()) {
            const stream = `gap-${randomInt(STREAMS)}`;
            const events = Array.from({ length: size }, () => newEvent('Written'));
            // 'any' so writers on one stream interleave instead of failing; revisions stay gapless.
            await writer.appendToStream(stream, events, 'any');
          }
        }),
      );

      // Generous: the writers are done, the subscriber only has to drain (a loaded CI box is slow).
      const deadline = setTimeout(() => void subscription.close(), 45_000);
      await following;
      clearTimeout(deadline);
    } finally {
      await subscription.close();
    }

    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(TOTAL);
    const lastRevision = new Map<string, number>();
    for (const event of seen) {
      expect(event.revision).toBe((lastRevision.get(event.streamName) ?? -1) + 1);
      lastRevision.set(event.streamName, event.revision);
    }
    for (let i = 1; i < seen.length; i++) {
      if (reader.comparePositions(seen[i - 1].position, seen[i].position) >= 0) throw new Error(`positions not increasing at ${i}`);
    }
    const stored = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
    expect(Number(stored.rows[0].n)).toBe(TOTAL);
  }, 120_000);
});
