import { createTestPostgresDatabase } from '../../../../test/support/postgres';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { newEvent } from '../event-store.contract';
import { PostgresEventStore } from './postgres.event-store';
import { parseLogPosition } from './postgres.position';

it('bench', async () => {
  const db = await createTestPostgresDatabase('bench', { poolSize: 4 });
  const store = new PostgresEventStore(db.pool);
  const sc = await db.pool.query(`select current_setting('synchronous_commit') s, current_setting('fsync') f`);
  console.log(sc.rows);
  let t = performance.now();
  for (let i = 0; i < 50; i++) await store.appendToStream(`one-${i % 5}`, [newEvent('X', { i })], 'any');
  console.log('append 1 event avg ms', (performance.now() - t) / 50);
  const batch = (n: number) => Array.from({ length: n }, (_, i) => newEvent('PreOrderPlaced', { dropId: 'd-1', customerId: `c-${i}`, quantity: 1, sku: 'HOT-1', placedAt: '2026-01-01T00:00:00.000Z' }));
  t = performance.now();
  for (let i = 0; i < 20; i++) await store.appendToStream('drop-hot', batch(1000), 'any');
  console.log('append 1000 events avg ms', (performance.now() - t) / 20);
  // fill to ~1M quickly with generate_series copies
  await db.pool.query(`INSERT INTO events (stream_name, revision, event_id, type, schema_version, data, metadata)
    SELECT 'bulk-' || (g / 1000), g % 1000, gen_random_uuid(), 'PreOrderPlaced', 1, e.data, e.metadata
    FROM generate_series(0, 979999) g, (SELECT data, metadata FROM events WHERE stream_name = 'drop-hot' LIMIT 1) e`);
  await db.pool.query('VACUUM ANALYZE events');
  for (const page of [5000, 10000]) {
    t = performance.now();
    let n = 0;
    let cursor = parseLogPosition(undefined);
    for (;;) {
      const p = await store.readLogPage(cursor, page);
      n += p.events.length;
      cursor = p.next;
      if (!p.full) break;
    }
    const s = (performance.now() - t) / 1000;
    console.log(`readAll page ${page}: ${n} events in ${s.toFixed(2)} s = ${Math.round(n / s)} ev/s`);
  }
  await db.drop();
  const lite = await createTestEmbeddedDatabase();
  const ls = new PostgresEventStore(lite.pool);
  t = performance.now();
  for (let i = 0; i < 20; i++) await ls.appendToStream('drop-hot', batch(1000), 'any');
  console.log('PGlite append 1000 events avg ms', (performance.now() - t) / 20);
  t = performance.now();
  for (let i = 0; i < 50; i++) await ls.appendToStream(`one-${i % 5}`, [newEvent('X', { i })], 'any');
  console.log('PGlite append 1 event avg ms', (performance.now() - t) / 50);
  t = performance.now();
  let n = 0; let cursor = parseLogPosition(undefined);
  for (;;) { const p = await ls.readLogPage(cursor, 5000); n += p.events.length; cursor = p.next; if (!p.full) break; }
  console.log(`PGlite readAll ${n} in ${(performance.now() - t).toFixed(0)} ms`);
  await lite.close();
}, 600000);
