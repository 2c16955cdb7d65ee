import { createPostgresPool, ensureEventStoreSchema, PostgresEventStore } from '@dropline/event-store';
import { Client } from 'pg';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { copyFrom, copyText } from '../support/copy';
import { createBenchDatabase } from '../support/database';
import { dumbo, emmett } from '../support/emmett';
import { BENCH_NOW } from '../support/engine';
import { numberFlag, ownPeakRssMiB, round, since } from '../support/stats';

/*
 * read-all: one seed of --events (1 000 000) PreOrderPlaced events over --streams (1 000)
 * drop streams, loaded once with COPY into both the engine's `events` table and
 * emmett-postgresql's `emt_messages` (same transaction, same payloads), then the whole global
 * log read front to back in pages of --page (1 000): PostgresEventStore.readAll against
 * emmett's readMessagesBatch.
 */

function uuidOf(n: number, salt: number): string {
  const hex = (salt.toString(16).padStart(8, '0') + n.toString(16).padStart(24, '0')).slice(-32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Event n of the seed: stream n % streams, revision n / streams (0-based). */
function seedEvent(n: number, streams: number) {
  const stream = n % streams;
  const revision = Math.floor(n / streams);
  const dropId = `seed-${stream}`;
  const customerId = `c-${n}`;
  const data = JSON.stringify({
    dropId,
    preOrderId: `${dropId}.po.${n.toString(16).padStart(20, '0')}`,
    customerId,
    sku: 'HOT-M',
    quantity: 1,
    channel: 'web',
    fulfillment: { method: 'ship' },
    unitPrice: 2500,
    basketPercentOff: 0,
    pickupPercentOff: 0,
    total: 2500,
    currency: 'GBP',
    tier: 0,
    sequence: revision + 1,
    idempotencyFingerprint: `${customerId}/1`,
    placedAt: BENCH_NOW,
  });
  const metadata = JSON.stringify({
    correlationId: uuidOf(n, 1),
    causationId: uuidOf(n, 2),
    actor: 'bench',
    occurredAt: BENCH_NOW,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  return { stream: `drop-${dropId}`, revision, eventId: uuidOf(n, 3), data: copyText(data), metadata: copyText(metadata) };
}

function* chunks(count: number, line: (n: number) => string): Iterable<string> {
  let buffer: string[] = [];
  for (let n = 0; n < count; n++) {
    buffer.push(line(n));
    if (buffer.length === 2000) {
      yield buffer.join('');
      buffer = [];
    }
  }
  if (buffer.length > 0) yield buffer.join('');
}

async function seed(url: string, events: number, streams: number, log: (m: string) => void): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = performance.now();
    await client.query('BEGIN');
    const xid = (await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid;
    await copyFrom(
      client,
      'COPY events (transaction_id, stream_name, revision, event_id, type, schema_version, data, metadata, recorded_at) FROM STDIN',
      chunks(events, (n) => {
        const e = seedEvent(n, streams);
        return `${xid}\t${e.stream}\t${e.revision}\t${e.eventId}\tPreOrderPlaced\t1\t${e.data}\t${e.metadata}\t${BENCH_NOW}\n`;
      }),
    );
    await client.query('INSERT INTO streams (stream_name, revision) SELECT stream_name, max(revision) FROM events GROUP BY stream_name');
    log(`seeded events in ${round(since(t0) / 1000, 1)} s`);
    const t1 = performance.now();
    await copyFrom(
      client,
      'COPY emt_messages (stream_position, transaction_id, stream_id, message_schema_version, message_id, message_type, message_data, message_metadata) FROM STDIN',
      chunks(events, (n) => {
        const e = seedEvent(n, streams);
        return `${e.revision + 1}\t${xid}\t${e.stream}\t1\t${e.eventId}\tPreOrderPlaced\t${e.data}\t${e.metadata}\n`;
      }),
    );
    await client.query(
      `INSERT INTO emt_streams (stream_id, stream_position, partition, stream_type, stream_metadata, is_archived)
       SELECT stream_id, max(stream_position), 'emt:default', 'drop', '{}'::jsonb, false FROM emt_messages GROUP BY stream_id`,
    );
    await client.query('COMMIT');
    log(`seeded emt_messages in ${round(since(t1) / 1000, 1)} s`);
    // Both tables alike: statistics, visibility map, OS cache warm, before either is timed.
    // (One statement per query: a multi-statement string is one transaction and VACUUM refuses that.)
    for (const table of ['events', 'streams', 'emt_messages', 'emt_streams']) await client.query(`VACUUM ANALYZE ${table}`);
    for (const table of ['events', 'emt_messages']) await client.query(`SELECT count(*) FROM ${table}`);
  } finally {
    await client.end();
  }
}

export const scenario: Scenario = {
  name: 'read-all',
  description: 'read a 1 000 000-event global log front to back; baseline: emmett-postgresql readMessagesBatch',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const events = numberFlag(ctx.args, 'events', 1_000_000);
    const streams = numberFlag(ctx.args, 'streams', 1000);
    const page = numberFlag(ctx.args, 'page', 1000);
    // emmett scans and sorts per page without a matching index: cap its run, rate over what it read.
    const baselineSeconds = numberFlag(ctx.args, 'baseline-seconds', 60);
    const db = await createBenchDatabase(ctx.databaseUrl, 'read_all');
    try {
      const pool = createPostgresPool(db.url);
      const store = new PostgresEventStore(pool);
      const { getPostgreSQLEventStore, readMessagesBatch } = emmett();
      const emmettStore = getPostgreSQLEventStore(db.url);
      try {
        await ensureEventStoreSchema(pool);
        await emmettStore.schema.migrate();
        ctx.log(`seeding ${events} events over ${streams} streams with COPY`);
        await seed(db.url, events, streams, ctx.log);

        // --- ours: keyset pages of the gap-safe global log, envelopes mapped to RecordedEvent.
        let t0 = performance.now();
        let ours = 0;
        let position: string | undefined;
        for (;;) {
          const result = await store.readAll({ fromPosition: position, maxCount: page });
          ours += result.events.length;
          position = result.position;
          if (result.isEnd) break;
        }
        const oursS = since(t0) / 1000;
        ctx.log(`PostgresEventStore.readAll: ${ours} events in ${round(oursS, 2)} s`);

        // --- baseline: emmett's own global-log reader, same page size.
        const executor = dumbo().dumbo({ connectionString: db.url });
        let theirs = 0;
        t0 = performance.now();
        const baselineDeadline = t0 + baselineSeconds * 1000;
        try {
          let after: bigint | undefined;
          while (performance.now() < baselineDeadline) {
            const batch = await readMessagesBatch(
              executor.execute,
              after === undefined ? { from: 0n, batchSize: page } : { after, batchSize: page },
            );
            theirs += batch.messages.length;
            if (batch.messages.length > 0) after = batch.currentGlobalPosition;
            if (!batch.areMessagesLeft || batch.messages.length === 0) break;
          }
        } finally {
          await executor.close();
        }
        const theirsS = since(t0) / 1000;
        ctx.log(`emmett readMessagesBatch: ${theirs} events in ${round(theirsS, 2)} s`);

        const oursPerS = ours / oursS;
        const theirsPerS = theirs / theirsS;
        return {
          scenario: 'read-all',
          rows: [
            {
              reader: 'PostgresEventStore.readAll',
              events: ours,
              'page size': page,
              seconds: round(oursS, 2),
              'events/s': round(oursPerS),
            },
            {
              reader: `baseline: emmett-postgresql readMessagesBatch${theirs < events ? ` (stopped after ${baselineSeconds} s)` : ''}`,
              events: theirs,
              'page size': page,
              seconds: round(theirsS, 2),
              'events/s': round(theirsPerS),
            },
          ],
          summary: {
            'events/s': round(oursPerS),
            'emmett events/s': round(theirsPerS),
            'ratio vs emmett': round(oursPerS / theirsPerS, 2),
            'read every event (ours)': ours === events,
            'emmett events read': theirs,
          },
          targets: {
            'events/s >= 150000': oursPerS >= 150_000,
            '>= 5x emmett-postgresql': oursPerS >= 5 * theirsPerS,
            'read all seeded events': ours === events,
          },
          peakRssMiB: ownPeakRssMiB(),
          notes: [`seed: ${events} events over ${streams} streams, loaded once with COPY into both stores in one transaction`],
        };
      } finally {
        await emmettStore.close();
        await store.close();
        await pool.end();
      }
    } finally {
      await db.drop();
    }
  },
};
