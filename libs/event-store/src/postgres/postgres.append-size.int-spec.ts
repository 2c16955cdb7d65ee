import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { newEvent } from '../event-store.contract';
import { AppendTooLargeError } from '../event-store.port';
import { ensureEventStoreSchema } from './postgres.schema';
import { DEFAULT_POSTGRES_MAX_APPEND_BYTES, PostgresEventStore } from './postgres.event-store';

describe('PostgreSQL append size (PGlite)', () => {
  let db: Awaited<ReturnType<typeof createTestEmbeddedDatabase>>;
  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
  });
  afterAll(async () => db?.close());

  it('defaults to 16 MiB and refuses a limit no append could be sized against', () => {
    expect(new PostgresEventStore(db.pool).maxAppendBytes).toBe(DEFAULT_POSTGRES_MAX_APPEND_BYTES);
    expect(DEFAULT_POSTGRES_MAX_APPEND_BYTES).toBe(16 * 1_048_576);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new PostgresEventStore(db.pool, { maxAppendBytes: bad })).toThrow(RangeError);
  });

  it('takes an append whose appendSize is exactly the limit: appendSize bounds the bytes it sends, escapes and wide text included', async () => {
    const events = Array.from({ length: 1200 }, (_, n) =>
      newEvent(n % 2 ? 'ItemAdded' : 'ItemRemoved', {
        n,
        text: 'quote " backslash \\ tab \t newline \n é€😀',
        nested: { list: [n, null, true] },
      }),
    );
    const exact = new PostgresEventStore(db.pool, { maxAppendBytes: new PostgresEventStore(db.pool).appendSize(events) });
    const result = await exact.appendToStream('size-exact', events, 'no_stream');
    expect(result.nextExpectedRevision).toBe(1199);
    expect(await exact.readStream('size-exact', { fromRevision: 1199 })).toHaveLength(1);
  });

  it('refuses before connecting: a refused append takes no connection and leaves nothing behind', async () => {
    const store = new PostgresEventStore(db.pool, { maxAppendBytes: 65_536 });
    const connect = jest.spyOn(db.pool, 'connect');
    try {
      await expect(
        store.appendToStream('size-refused', [newEvent('Big', { blob: 'x'.repeat(70_000) })], 'no_stream'),
      ).rejects.toBeInstanceOf(AppendTooLargeError);
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
    expect(await store.readStream('size-refused')).toEqual([]);
  });
});
