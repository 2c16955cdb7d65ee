import { createHash } from 'node:crypto';
import { restockStreamName, schemaVersionOf, upcast } from '@dropline/domain';
import type { RestockRecommended } from '@dropline/domain';
import { EventStore, NewEvent, WrongExpectedRevisionError } from '@dropline/event-store';
import { LeaseLostError } from '@dropline/runtime';
import type { Pool } from 'pg';

/** UUID (version-5 layout) of the recommendation for one crossing: the same crossing always gets the same id. */
export function restockEventId(dropId: string, sku: string, crossing: number): string {
  const h = createHash('sha256').update(`dropline:restock:${dropId}\n${sku}\n${crossing}`, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface RestockReactorOptions {
  store: EventStore;
  pool: Pool;
  /** The projection whose rebuild pauses the reactor. */
  projection?: string;
  now?: () => Date;
  /** The reactor's lease (see fenceWith). */
  lease?: ReactorLease;
}

/** What the reactor needs of its lease: whether it is held right now. */
export interface ReactorLease {
  readonly name: string;
  readonly held: boolean;
}

/** Appends lost to another reactor (a lease takeover) before this one gives up until its next run. */
const MAX_CONFLICTS = 5;

interface PendingRow {
  drop_id: string;
  sku: string;
  crossings: number;
  reorder_point: number;
  available: number;
  last_crossing_at: Date | string | null;
}

/**
 * Turns crossings counted by the drop read-models projection into `RestockRecommended` events
 * on `restock-<dropId>`. It is not the projection: it runs on its own lease, reads the live
 * threshold rows, and keeps its own progress (rm_restock_reactor) outside the rebuilt tables.
 *
 * Idempotent by state and expected revision, on every store: before appending it reads the
 * drop's restock stream (short: one event per crossing), appends only the crossings that stream
 * does not hold yet, and appends them with the stream's revision as the expected revision. A
 * crash between append and progress write, a retry, or a second reactor that raced it therefore
 * finds the events in the stream or gets a conflict and re-reads; it never relies on the store
 * refusing a duplicate event id (EventStoreDB does not, reliably). The id stays derived from
 * (drop, SKU, crossing) so a recommendation keeps one id wherever it travels (ce_id in Kafka).
 * The pre-order path never waits for it: it appends to a different stream, after the fact.
 */
export class RestockReactor {
  private readonly projection: string;
  private readonly now: () => Date;
  private lease: ReactorLease | undefined;

  constructor(private readonly options: RestockReactorOptions) {
    this.projection = options.projection ?? 'drops';
    this.now = options.now ?? (() => new Date());
    this.lease = options.lease;
  }

  /**
   * Fencing (issue 14): the lease is checked immediately before each append, so a reactor paused
   * past its lease expiry appends nothing after resuming (and the append's expected revision turns
   * away one that checked just before a takeover). Without a lease (tests) every append goes ahead.
   */
  fenceWith(lease: ReactorLease): void {
    this.lease = lease;
  }

  /** True while the projection is being rebuilt: thresholds may be swapped under it. */
  async paused(): Promise<boolean> {
    const { rows } = await this.options.pool.query(
      `select 1 from rm_projection_rebuilds where projection = $1 and status in ('requested', 'running')`,
      [this.projection],
    );
    return rows.length > 0;
  }

  /** Emits every pending recommendation; returns how many events were appended. */
  async runOnce(limit = 500): Promise<number> {
    if (await this.paused()) return 0;
    const { pool } = this.options;
    const { rows } = await pool.query<PendingRow>(
      `select t.drop_id, t.sku, t.crossings, t.reorder_point, t.available, t.last_crossing_at
         from rm_restock_thresholds t left join rm_restock_reactor r on r.drop_id = t.drop_id and r.sku = t.sku
        where t.crossings > coalesce(r.crossings_emitted, 0)
        order by t.drop_id, t.sku limit $1`,
      [limit],
    );
    const byDrop = new Map<string, PendingRow[]>();
    for (const row of rows) byDrop.set(row.drop_id, [...(byDrop.get(row.drop_id) ?? []), row]);
    let appended = 0;
    for (const [dropId, pending] of byDrop) {
      appended += await this.emit(dropId, pending);
      for (const row of pending) {
        await pool.query(
          `insert into rm_restock_reactor (drop_id, sku, crossings_emitted) values ($1, $2, $3)
           on conflict (drop_id, sku) do update set crossings_emitted = greatest(rm_restock_reactor.crossings_emitted, excluded.crossings_emitted)`,
          [dropId, row.sku, row.crossings],
        );
      }
    }
    return appended;
  }

  /** Appends the crossings of one drop that its restock stream does not hold yet; returns how many. */
  private async emit(dropId: string, pending: PendingRow[]): Promise<number> {
    const { store } = this.options;
    const stream = restockStreamName(dropId);
    for (let conflicts = 0; ; conflicts++) {
      const recorded = await store.readStream(stream);
      const revision = recorded.at(-1)?.revision ?? -1;
      const stored = new Map<string, number>();
      for (const event of recorded) {
        if (event.type !== 'RestockRecommended') continue;
        const { sku, crossing } = upcast(event.type, event.schemaVersion, event.data) as RestockRecommended['data'];
        stored.set(sku, Math.max(stored.get(sku) ?? 0, crossing));
      }
      const events = pending.flatMap((row) => this.recommendations(row, stored.get(row.sku) ?? 0));
      if (events.length === 0) return 0;
      const lease = this.lease;
      if (lease && !lease.held) throw new LeaseLostError(lease.name, `RestockRecommended ×${events.length} on ${stream}`);
      try {
        await store.appendToStream(stream, events, revision);
        return events.length;
      } catch (e) {
        // Someone appended since the read (another reactor after a lease takeover): read again.
        if (!(e instanceof WrongExpectedRevisionError) || conflicts + 1 >= MAX_CONFLICTS) throw e;
      }
    }
  }

  /** The events for the crossings of one SKU after `stored` (the highest one its stream holds). */
  private recommendations(row: PendingRow, stored: number): NewEvent[] {
    const events: NewEvent[] = [];
    for (let crossing = stored + 1; crossing <= row.crossings; crossing++) {
      const event: RestockRecommended = {
        type: 'RestockRecommended',
        data: {
          dropId: row.drop_id,
          sku: row.sku,
          crossing,
          reorderPoint: row.reorder_point,
          available: row.available,
          recommendedAt: row.last_crossing_at ? new Date(row.last_crossing_at).toISOString() : this.now().toISOString(),
        },
      };
      events.push({
        eventId: restockEventId(row.drop_id, row.sku, crossing),
        type: event.type,
        schemaVersion: schemaVersionOf(event.type),
        data: event.data,
        metadata: {
          correlationId: `restock:${row.drop_id}:${row.sku}:${crossing}`,
          causationId: null,
          actor: 'system:restock-reactor',
          occurredAt: event.data.recommendedAt,
          traceparent: '',
        },
      });
    }
    return events;
  }
}
