import type { EmbeddedDatabase } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { CheckpointStore, FencedError } from './checkpoints';

describe('CheckpointStore (PGlite)', () => {
  let db: EmbeddedDatabase;
  let checkpoints: CheckpointStore;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    checkpoints = new CheckpointStore(db.pool);
    await db.pool.query('create table page_rows (id int primary key)');
  });
  afterAll(async () => db?.close());

  it('adds what each save processed and keeps the newest fence', async () => {
    await checkpoints.save({ name: 'relay:a', position: '10', processed: 3, lastEventAt: '2025-01-01T00:00:00.000Z', fence: 1 });
    await checkpoints.save({ name: 'relay:a', position: '12', processed: 2, fence: 2 });
    expect(await checkpoints.load('relay:a')).toEqual({
      name: 'relay:a',
      position: '12',
      eventsProcessed: 5,
      lastEventAt: '2025-01-01T00:00:00.000Z',
      fence: 2,
    });
  });

  it("refuses an older fence's save and leaves the checkpoint as the newer holder wrote it", async () => {
    await expect(checkpoints.save({ name: 'relay:a', position: '99', processed: 7, fence: 1 })).rejects.toBeInstanceOf(FencedError);
    expect(await checkpoints.load('relay:a')).toMatchObject({ position: '12', eventsProcessed: 5, fence: 2 });
  });

  it("rolls back the page's rows with a refused save in the same transaction", async () => {
    await checkpoints.save({ name: 'projection:x', position: '5', fence: 7 });
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query('insert into page_rows (id) values (1), (2)');
      await expect(checkpoints.save({ name: 'projection:x', position: '9', processed: 2, fence: 6 }, client)).rejects.toThrow(FencedError);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect((await db.pool.query('select count(*)::int as n from page_rows')).rows[0].n).toBe(0);
    expect(await checkpoints.load('projection:x')).toMatchObject({ position: '5', fence: 7 });
  });

  it('lock refuses an older fence inside the transaction and returns the row to a current one', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await expect(checkpoints.lock('projection:x', 3, client)).rejects.toThrow(FencedError);
      await client.query('rollback');
      await client.query('begin');
      expect(await checkpoints.lock('projection:x', 7, client)).toMatchObject({ position: '5', fence: 7 });
      expect(await checkpoints.lock('projection:new', 1, client)).toMatchObject({ position: undefined, eventsProcessed: 0, fence: 0 });
      await client.query('commit');
    } finally {
      client.release();
    }
  });

  it('adopts a replaced table’s checkpoint once, never over a row of its own, and drops the old table when asked', async () => {
    await db.pool.query('create schema if not exists messaging');
    await db.pool.query('create table messaging.relay_checkpoints (name text primary key, position text, published bigint)');
    await db.pool.query(`insert into messaging.relay_checkpoints values ('relay:old', '42', 40), ('relay:a', '1', 1)`);
    const legacy = (name: string) => ({
      table: 'messaging.relay_checkpoints',
      select: 'select position, published as events_processed from messaging.relay_checkpoints where name = $1',
      params: [name],
    });
    expect(await checkpoints.adoptLegacy('relay:old', legacy('relay:old'))).toBe(true);
    expect(await checkpoints.adoptLegacy('relay:a', { ...legacy('relay:a'), drop: true })).toBe(false);
    expect(await checkpoints.load('relay:old')).toMatchObject({ position: '42', eventsProcessed: 40, fence: 0 });
    expect(await checkpoints.load('relay:a')).toMatchObject({ position: '12' });
    expect((await db.pool.query(`select to_regclass('messaging.relay_checkpoints')::text as t`)).rows[0].t).toBeNull();
    expect(await checkpoints.adoptLegacy('relay:old', legacy('relay:old'))).toBe(false);
  });
});
