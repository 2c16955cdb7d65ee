import { createHash } from 'node:crypto';
import { restockStreamName, schemaVersionOf } from '@dropline/domain';
import type { RestockRecommended } from '@dropline/domain';
import { DuplicateEventIdError, EventStore, NewEvent } from '@dropline/event-store';
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
}

/**
 * Turns crossings counted by the drop read-models projection into `RestockRecommended` events
 * on `restock-<dropId>`. It is not the projection: it runs on its own lease, reads the live
 * threshold rows, and keeps its own progress (rm_restock_reactor) outside the rebuilt tables.
 * The event id is derived from (drop, SKU, crossing number) and the store rejects a second
 * append of an id, so a crash between append and progress write, or a retry, never duplicates.
 * The pre-order path never waits for it: it appends to a different stream, after the fact.
 */
export class RestockReactor {
  private readonly projection: string;
  private readonly now: () => Date;

  constructor(private readonly options: RestockReactorOptions) {
    this.projection = options.projection ?? 'drops';
    this.now = options.now ?? (() => new Date());
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
    const { pool, store } = this.options;
    const { rows } = await pool.query(
      `select t.drop_id, t.sku, t.crossings, coalesce(r.crossings_emitted, 0) as emitted, t.reorder_point, t.available, t.last_crossing_at
         from rm_restock_thresholds t left join rm_restock_reactor r on r.drop_id = t.drop_id and r.sku = t.sku
        where t.crossings > coalesce(r.crossings_emitted, 0)
        order by t.drop_id, t.sku limit $1`,
      [limit],
    );
    let appended = 0;
    for (const row of rows) {
      const dropId: string = row.drop_id;
      const sku: string = row.sku;
      for (let crossing = Number(row.emitted) + 1; crossing <= row.crossings; crossing++) {
        const event: RestockRecommended = {
          type: 'RestockRecommended',
          data: {
            dropId,
            sku,
            crossing,
            reorderPoint: row.reorder_point,
            available: row.available,
            recommendedAt: row.last_crossing_at ? new Date(row.last_crossing_at).toISOString() : this.now().toISOString(),
          },
        };
        const newEvent: NewEvent = {
          eventId: restockEventId(dropId, sku, crossing),
          type: event.type,
          schemaVersion: schemaVersionOf(event.type),
          data: event.data,
          metadata: {
            correlationId: `restock:${dropId}:${sku}:${crossing}`,
            causationId: null,
            actor: 'system:restock-reactor',
            occurredAt: event.data.recommendedAt,
            traceparent: '',
          },
        };
        try {
          await store.appendToStream(restockStreamName(dropId), [newEvent], 'any');
          appended++;
        } catch (e) {
          if (!(e instanceof DuplicateEventIdError)) throw e;
        }
      }
      await pool.query(
        `insert into rm_restock_reactor (drop_id, sku, crossings_emitted) values ($1, $2, $3)
         on conflict (drop_id, sku) do update set crossings_emitted = greatest(rm_restock_reactor.crossings_emitted, excluded.crossings_emitted)`,
        [dropId, sku, row.crossings],
      );
    }
    return appended;
  }
}
