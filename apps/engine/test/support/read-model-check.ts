import type { Pool } from 'pg';
import { PostgresEventStore } from '@dropline/event-store';
import { DROP_READ_MODEL_EVENT_TYPES, DROP_READ_MODEL_TABLES, DropReadModelsProjection, ProjectionRunner } from '@dropline/projections';
import { AnalyticsHandler } from '@dropline/analytics';
import { FulfillmentHandler } from '@dropline/fulfillment';
import { sleep } from './chaos';

/** Polls `probe` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Events of the log the `drops` projection folds. */
export async function foldedEventCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query(`select count(*)::int as n from events where stream_name like 'drop-%' and type = any($1)`, [
    [...DROP_READ_MODEL_EVENT_TYPES],
  ]);
  return rows[0].n;
}

/** The `drops` projection's live checkpoint (events applied), -1 before its first page. */
export async function projectionEventsProcessed(pool: Pool): Promise<number> {
  const { rows } = await pool.query(`select events_processed from dropline_checkpoints where name = 'projection:drops'`);
  return rows[0] ? Number(rows[0].events_processed) : -1;
}

/** Every read-model table, ordered by its key. */
export async function readModelSnapshot(pool: Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of DROP_READ_MODEL_TABLES) out[t] = (await pool.query(`select * from ${t} order by 1, 2`)).rows;
  return out;
}

/**
 * Rebuilds the `drops` read models from the whole log in this process (shadow tables, then the
 * swap) and returns the rows before and after. Call it with no engine running projections.
 */
export async function incrementalAndRebuilt(
  pool: Pool,
): Promise<{ incremental: Record<string, unknown[]>; rebuilt: Record<string, unknown[]>; eventsDone: number; status: string }> {
  const incremental = await readModelSnapshot(pool);
  const runner = new ProjectionRunner({ store: new PostgresEventStore(pool), pool, projection: new DropReadModelsProjection() });
  const progress = await runner.rebuildNow();
  return { incremental, rebuilt: await readModelSnapshot(pool), eventsDone: progress.eventsDone, status: progress.status };
}

/** The embedded consumers and the event types each handles, read off their handlers. */
export const EMBEDDED_CONSUMERS: Record<string, string[]> = {
  fulfillment: [...new FulfillmentHandler(1).eventTypes],
  analytics: [...new AnalyticsHandler().eventTypes],
};

/** Ids of the relayed streams' events (DROP_EVENTS_FILTER) of the given types, sorted. */
export async function relayedEventIds(pool: Pool, types?: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select event_id::text as id from events where stream_name like any(array['drop-%','visits-%','demand-%','restock-%']) and ($1::text[] is null or type = any($1)) order by 1`,
    [types ?? null],
  );
  return rows.map((r) => r.id);
}

/** A consumer's ce_id ledger, sorted. */
export async function consumerLedger(pool: Pool, schema: string): Promise<string[]> {
  return (await pool.query<{ id: string }>(`select ce_id as id from ${schema}.processed_events order by 1`)).rows.map((r) => r.id);
}
