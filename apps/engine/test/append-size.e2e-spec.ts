import type { Pool } from 'pg';
import type { RecordedEvent } from '@dropline/event-store';
import { describeWithPostgres } from '../../../test/support/postgres';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/*
 * Batches sized by bytes, over HTTP on PostgreSQL. The limit is the schema's smallest (64 KiB), not
 * the 1 MiB of EventStoreDB: 256 maximal pre-orders take ~350 KB, which one 1 MiB append holds, so
 * only a smaller limit makes the writer cut them. The 1 MiB case (a 1,000-command batch) is the
 * writer's (aggregate-writer.int-spec.ts on PGlite and PostgreSQL, aggregate-writer.eventstoredb.spec.ts).
 * Requests arriving over HTTP form small batches (an append takes milliseconds), so the test holds
 * the stream's append lock while the buyers arrive: they queue in the writer and go as one batch.
 */
const LIMIT = 65_536;
const MAX_SKU = 'S'.repeat(64);
const MAX_LOCATION = 'L'.repeat(64);

/** The appends of a stream: its events grouped by the transaction that wrote them (PostgreSQL positions are `xid:global`). */
function appendsOf(events: RecordedEvent[]): RecordedEvent[][] {
  const byTransaction = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    const tx = e.position.split(':')[0];
    byTransaction.set(tx, [...(byTransaction.get(tx) ?? []), e]);
  }
  return [...byTransaction.values()];
}

describeWithPostgres('append size over HTTP (PostgreSQL, EVENT_STORE_MAX_APPEND_BYTES=65536)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({
      store: 'postgres',
      now: '2026-12-02T10:00:00Z',
      env: { EVENT_STORE_MAX_APPEND_BYTES: String(LIMIT) },
    });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  async function openDrop(overrides: Record<string, unknown>): Promise<string> {
    const created = await engine.request('POST', '/drops', harbourHoodie(overrides));
    expect([created.status, created.body.code]).toEqual([201, undefined]);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    return dropId;
  }

  it('256 concurrent buyers of maximal pre-orders: exactly the cap sold, every append within the limit, 0 5xx, every caller answered', async () => {
    expect(engine.databases.store.maxAppendBytes).toBe(LIMIT);
    const cap = 200;
    const dropId = await openDrop({
      variants: [{ sku: MAX_SKU, size: 'M', colour: 'navy', editionCap: cap }],
      pickupLocations: [{ locationId: MAX_LOCATION, discountPercent: 10 }],
      perCustomerLimit: 4,
      minimumOrderQuantity: 1,
    });
    // Hold the stream's append lock (postgres.event-store.ts takes it first in every append).
    const pool = engine.databases.readModels as Pool;
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`drop-${dropId}`]);
    // Every field at the longest the API accepts.
    const requests = Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        engine.request(
          'POST',
          `/drops/${dropId}/pre-orders`,
          {
            customerId: `c${i}:`.padEnd(128, 'x'),
            sku: MAX_SKU,
            quantity: 1,
            channel: 'web',
            fulfillment: { method: 'pickup', locationId: MAX_LOCATION },
            referralCode: `R${i}-`.padEnd(64, 'r'),
          },
          { 'idempotency-key': `k${i}-`.padEnd(128, 'k'), 'x-correlation-id': `corr${i}-`.padEnd(128, 'z') },
        ),
      ),
    );
    // The first batch waits for the lock; the others queue behind it. Fewer in the queue would
    // only make the batch smaller (the checks below hold for any batch), not the test wrong.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await holder.query('COMMIT');
    holder.release();
    const answers = await requests;

    expect(answers).toHaveLength(256);
    expect(answers.filter((a) => a.status >= 500).map((a) => `${a.status} ${a.body?.code}`)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(cap);
    expect(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.body?.code}`)).toEqual(
      Array(256 - cap).fill('409 DROP.SOLD_OUT'),
    );

    const events = await engine.databases.store.readStream(`drop-${dropId}`);
    expect(events.filter((e) => e.type === 'PreOrderPlaced')).toHaveLength(cap);
    const appends = appendsOf(events);
    const sizes = appends.map((group) => engine.databases.store.appendSize(group));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(LIMIT);
    // A part was filled up to the limit (within one event): the queued batch was cut.
    expect(Math.max(...sizes)).toBeGreaterThan(LIMIT - 2000);
    console.log(`[append-size e2e] ${appends.length} appends: ${appends.map((g, i) => `${g.length} events/${sizes[i]} B`).join(', ')}`);
  }, 120_000);

  it('refuses a command whose events alone are over the limit with 422 COMMAND.TOO_LARGE, and keeps taking others', async () => {
    // 200 variants with long multi-byte sizes and colours: a DropScheduled of ~80 KB.
    const variants = Array.from({ length: 200 }, (_, i) => ({
      sku: `V${i}-`.padEnd(64, 's'),
      size: '€'.repeat(32),
      colour: '€'.repeat(64),
      editionCap: 10,
    }));
    const tooLarge = await engine.request('POST', '/drops', harbourHoodie({ variants }));
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.body).toMatchObject({ code: 'COMMAND.TOO_LARGE', maxAppendBytes: LIMIT });
    expect(tooLarge.body.size).toBeGreaterThan(LIMIT);

    const fine = await engine.request('POST', '/drops', harbourHoodie());
    expect(fine.status).toBe(201);
  }, 60_000);

  it('refuses a drop stream that starts at revision 3 with 409 STREAM.NOT_CONTIGUOUS instead of folding it', async () => {
    const dropId = await openDrop({});
    const pool = engine.databases.readModels as Pool;
    // A copy of the drop's stream that starts at revision 3, as $maxCount truncation leaves one on EventStoreDB.
    const copy = `${dropId}x`;
    await pool.query(
      `INSERT INTO events (stream_name, revision, event_id, type, schema_version, data, metadata)
       SELECT $2, revision + 3, gen_random_uuid(), type, schema_version, jsonb_set(data, '{dropId}', to_jsonb($3::text)), metadata
       FROM events WHERE stream_name = $1`,
      [`drop-${dropId}`, `drop-${copy}`, copy],
    );
    const refused = await engine.request(
      'POST',
      `/drops/${copy}/pre-orders`,
      { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 'k-1' },
    );
    expect([refused.status, refused.body.code]).toEqual([409, 'STREAM.NOT_CONTIGUOUS']);
    expect(JSON.stringify(refused.body)).not.toContain(`drop-${copy}`);
    // The intact drop is unaffected.
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 'k-1' },
    );
    expect(placed.status).toBe(201);
  }, 60_000);
});
