import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { dropStreamName, schemaVersionOf } from '@dropline/domain';
import { createPostgresPool, ensureEventStoreSchema, PostgresEventStore } from '@dropline/event-store';
import { CHECKPOINTS_DDL } from '@dropline/runtime';
import { DropReadModelsProjection, DROP_READ_MODEL_TABLES, openReadModels, ProjectionRunner } from '@dropline/projections';
import { dropHistory } from '../../../libs/projections/src/testing/drop-history';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { copyFrom, copyText } from '../support/copy';
import { createBenchDatabase, serverSettings } from '../support/database';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
}

/** COPY rows of whole drop histories, drops interleaved 50 at a time as live traffic would be. */
function* seedRows(total: number): Generator<string> {
  let written = 0;
  let drop = 0;
  while (written < total) {
    const batch = Array.from({ length: 50 }, () => {
      const dropId = `b${drop++}`;
      return { dropId, events: dropHistory(dropId, drop, { orders: 400, caps: [400, 200] }), next: 0 };
    });
    let lines: string[] = [];
    let live = batch.length;
    while (live > 0 && written < total) {
      live = 0;
      for (const d of batch) {
        if (d.next >= d.events.length || written >= total) continue;
        live++;
        const { event, at } = d.events[d.next];
        const metadata = { correlationId: 'bench', causationId: null, actor: 'bench', occurredAt: at, traceparent: '' };
        lines.push(
          [
            dropStreamName(d.dropId),
            String(d.next),
            randomUUID(),
            event.type,
            String(schemaVersionOf(event.type)),
            copyText(JSON.stringify(event.data)),
            copyText(JSON.stringify(metadata)),
            at,
          ].join('\t'),
        );
        d.next++;
        written++;
        if (lines.length >= 2000) {
          yield lines.join('\n') + '\n';
          lines = [];
        }
      }
    }
    if (lines.length) yield lines.join('\n') + '\n';
  }
}

async function truncateReadModels(pool: { query(sql: string): Promise<unknown> }): Promise<void> {
  await pool.query(`truncate ${[...DROP_READ_MODEL_TABLES, 'rm_projection_rebuilds'].join(', ')}`);
  await pool.query(CHECKPOINTS_DDL);
  await pool.query(`delete from dropline_checkpoints where name like 'projection:%'`);
}

/**
 * Rebuilds the drop read models from N stored events (1,000,000 by default, seeded once with
 * COPY) through the real runner: pages of 50,000 events folded in memory, one multi-row upsert per
 * table and the checkpoint per transaction, the next page read while one is written, secondary
 * indexes built once before the swap. Baseline in the same run: the same projection code at
 * one event per transaction, over the first `--baseline-events` events (it is ~100× slower).
 */
export const scenario: Scenario = {
  name: 'projections',
  description: 'Rebuild of the drop read models from 1M stored events; baseline = one event per transaction',
  async run(context: BenchContext): Promise<BenchResult> {
    const total = flag(context.args, 'events', 1_000_000);
    const baselineEvents = flag(context.args, 'baseline-events', 20_000);
    const pageSize = flag(context.args, 'page', 5000);
    const rebuildPageSize = flag(context.args, 'rebuild-page', 50_000);
    const settings = await serverSettings(context.databaseUrl);
    context.log(`PostgreSQL durability settings: ${JSON.stringify(settings)}`);
    const db = await createBenchDatabase(context.databaseUrl, 'projections');
    const pool = createPostgresPool(db.url, { max: 4 });
    try {
      await ensureEventStoreSchema(pool);
      await (await openReadModels(pool)).destroy();
      const seedStart = Date.now();
      const client = new Client({ connectionString: db.url });
      await client.connect();
      const copied = await copyFrom(
        client,
        'COPY events (stream_name, revision, event_id, type, schema_version, data, metadata, recorded_at) FROM STDIN',
        seedRows(total),
      );
      await client.query(
        'insert into streams (stream_name, revision) select stream_name, max(revision) from events group by stream_name on conflict do nothing',
      );
      await client.query('analyze events');
      await client.end();
      context.log(`seeded ${copied} events with COPY in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
      const store = new PostgresEventStore(pool);

      // Baseline: one event per transaction (same projection, same runner), over a prefix of the log.
      const baseline = new ProjectionRunner({ store, pool, projection: new DropReadModelsProjection(), pageSize: 1 });
      let t = process.hrtime.bigint();
      let done = 0;
      while (done < baselineEvents) {
        const { applied, isEnd } = await baseline.processPage('live');
        done += applied;
        if (isEnd) break;
      }
      const baselineSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      const baselineRate = done / baselineSeconds;
      context.log(`baseline: ${done} events in ${baselineSeconds.toFixed(1)} s = ${Math.round(baselineRate)} events/s`);
      await truncateReadModels(pool);

      // The measured rebuild: into shadow tables from the start of the log, then the swap. A
      // rebuild is asked of a projection that is serving, i.e. caught up: its live checkpoint is
      // put at the end of the log, so each step's live page finds nothing and the time measured
      // is the shadow copy's (with an empty live checkpoint the same run would fold the log twice).
      await pool.query(
        `insert into dropline_checkpoints (name, position, events_processed)
         select 'projection:drops', transaction_id::text || ':' || global_position::text, $1 from events order by transaction_id desc, global_position desc limit 1`,
        [copied],
      );
      const runner = new ProjectionRunner({
        store,
        pool,
        projection: new DropReadModelsProjection(),
        pageSize,
        rebuildPageSize,
        concurrentReads: true,
      });
      await ProjectionRunner.requestRebuild(pool, 'drops');
      t = process.hrtime.bigint();
      let lastLog = Date.now();
      for (;;) {
        await runner.step();
        const p = await runner.rebuildProgress();
        if (Date.now() - lastLog > 5000 && p) {
          lastLog = Date.now();
          context.log(
            `rebuild: ${p.eventsDone} events, ${Math.round(p.eventsPerSecond ?? 0)} events/s, ETA ${(p.etaSeconds ?? 0).toFixed(0)} s`,
          );
        }
        if (p?.status === 'done') break;
        if (p?.status === 'failed') throw new Error(p.error ?? 'rebuild failed');
      }
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const events = (await runner.checkpoint()).eventsProcessed;
      const rate = events / seconds;
      const rows = Number(((await pool.query('select count(*) from rm_customer_pre_orders')).rows[0] as { count: string }).count);
      context.log(`rebuild: ${events} events in ${seconds.toFixed(1)} s = ${Math.round(rate)} events/s (${rows} pre-order rows)`);
      return {
        scenario: 'projections',
        rows: [
          {
            variant: `baseline: 1 event / transaction (first ${done} events)`,
            events: done,
            seconds: +baselineSeconds.toFixed(2),
            'events/s': Math.round(baselineRate),
          },
          {
            variant: `rebuild: ${rebuildPageSize} events / transaction, next page read during the write`,
            events,
            seconds: +seconds.toFixed(2),
            'events/s': Math.round(rate),
          },
        ],
        summary: {
          events,
          'events/s': Math.round(rate),
          'baseline events/s': Math.round(baselineRate),
          speedup: +(rate / baselineRate).toFixed(1),
          ...settings,
        },
        targets: { 'rebuild events/s >= 75000': rate >= 75_000 },
        peakRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
    } finally {
      await pool.end();
      await db.drop();
    }
  },
};
