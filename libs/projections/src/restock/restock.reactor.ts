import { createHash, randomBytes } from 'node:crypto';
import { describeBadEvent, restockStreamName, schemaVersionOf, screenBadEvents, upcast } from '@dropline/domain';
import type { BadEvent, BadEventPolicy } from '@dropline/domain';
import type { RestockRecommended } from '@dropline/domain';
import { EventStore, isTraceparent, NewEvent, RecordedEvent, WrongExpectedRevisionError } from '@dropline/event-store';
import {
  CheckpointStore,
  LeaseLostError,
  type PageOutcome,
  type Processor,
  type ProcessorContext,
  type ProcessorPage,
} from '@dropline/runtime';
import type { Pool } from 'pg';
import { DROP_READ_MODEL_EVENT_TYPES } from '../drops/drop-read-models.projection';
import { col, DropFact, factOf, iso, parseInstant, PreOrderFacts } from '../drops/read-models/drop-fact';
import { progressPreOrder } from '../drops/read-models/customer-pre-orders.read-model';
import { evolveInventory, inventorySkusOf, InventoryRow } from '../drops/read-models/inventory.read-model';
import {
  evolveRestockThreshold,
  RestockThresholdRow,
  ThresholdInput,
  thresholdSkusOf,
} from '../drops/read-models/restock-thresholds.read-model';
import type { Queryable } from '../projection';
import { RowSet, TableSpec } from '../row-set';

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
  /** The database of the reactor's own state and checkpoint (the read-model database). */
  pool: Pool;
  now?: () => Date;
  /** Events per page (default 5,000). */
  pageSize?: number;
  /** Service level of the thresholds (as the drop read models'). */
  serviceLevel?: number;
  /** ON_BAD_EVENT, as the projections': stall before an unknown or corrupted event (default) or report and skip it. */
  onBadEvent?: BadEventPolicy;
  /** Where a stall or a skipped event is reported. */
  logger?: { warn(message: string): void };
}

/** The reactor's lease and checkpoint name (dropline_checkpoints). */
export const RESTOCK_REACTOR_CHECKPOINT = 'reactor:restock';

/** Appends lost to another reactor (a lease takeover) before this one gives up until its next run. */
const MAX_CONFLICTS = 5;

/** rm_restock_reactor: the reactor's own state of one (drop, SKU), never rebuilt. */
export interface RestockReactorRow {
  dropId: string;
  sku: string;
  /** Highest crossing appended to restock-<dropId> for this SKU. */
  crossingsEmitted: number;
  /** Last revision of the drop stream folded into this row (-1: none yet). */
  lastRevision: number;
  /** The drop's window close in force. */
  closesAt: string | null;
  /** The SKU's inventory (the inventory read model's evolve, on this table). */
  inventory: InventoryRow | null;
  /** The SKU's threshold (the restock-threshold read model's evolve, on this table). */
  threshold: RestockThresholdRow | null;
  /**
   * crossing → the event that made it (id, correlation id), for the crossings not emitted yet: each
   * RestockRecommended names its crossing's event as causation and keeps its correlation id. Null
   * for rows from before causation was kept.
   */
  crossingCauses: Record<string, CrossingCause> | null;
}

/**
 * The event that made a crossing, and the SKU's figures right after it: a recommendation carries
 * its own crossing's figures, not those of the end of the page it was folded in (a reactor that
 * catches up folds many crossings in one page). Rows stored before the figures were kept have
 * only the ids.
 */
export interface CrossingCause {
  eventId: string;
  correlationId: string;
  /** The crossing event's trace context (rows folded before it was kept have none). */
  traceparent?: string;
  at?: string;
  reorderPoint?: number;
  available?: number;
}

const REACTOR_TABLE: TableSpec<RestockReactorRow> = {
  table: 'rm_restock_reactor',
  keys: ['drop_id', 'sku'] as const,
  columns: [
    col('drop_id', 'text', (r) => r.dropId),
    col('sku', 'text', (r) => r.sku),
    col('crossings_emitted', 'int4', (r) => r.crossingsEmitted),
    col('last_revision', 'int4', (r) => r.lastRevision),
    col('closes_at', 'timestamptz', (r) => r.closesAt),
    col('inventory', 'jsonb', (r) => r.inventory),
    col('threshold', 'jsonb', (r) => r.threshold),
    col('crossing_causes', 'jsonb', (r) => r.crossingCauses),
  ],
  fromDb: (r) => ({
    dropId: r.drop_id,
    sku: r.sku,
    crossingsEmitted: r.crossings_emitted,
    lastRevision: r.last_revision,
    closesAt: iso(r.closes_at),
    inventory: r.inventory,
    threshold: r.threshold,
    crossingCauses: r.crossing_causes ?? null,
  }),
  keyOf: (r): [string, string] => [r.dropId, r.sku],
};

/** rm_restock_reactor_pre_orders: what the thresholds need to know of each pre-order (its SKU, quantity, progress). */
const PRE_ORDER_FACTS_TABLE: TableSpec<PreOrderFacts> = {
  table: 'rm_restock_reactor_pre_orders',
  keys: ['pre_order_id'] as const,
  columns: [
    col('pre_order_id', 'text', (r) => r.preOrderId),
    col('drop_id', 'text', (r) => r.dropId),
    col('sku', 'text', (r) => r.sku),
    col('quantity', 'int4', (r) => r.quantity),
    col('status', 'text', (r) => r.status),
    col('refund_requested', 'bool', (r) => r.refundRequested),
    col('hand_over', 'text', (r) => r.handOver),
    col('return_id', 'text', (r) => r.returnId),
    col('return_reason', 'text', (r) => r.returnReason),
    col('return_status', 'text', (r) => r.returnStatus),
  ],
  fromDb: (r) => ({
    preOrderId: r.pre_order_id,
    dropId: r.drop_id,
    sku: r.sku,
    quantity: r.quantity,
    status: r.status,
    refundRequested: r.refund_requested,
    handOver: r.hand_over,
    returnId: r.return_id,
    returnReason: r.return_reason,
    returnStatus: r.return_status,
  }),
  keyOf: (r): [string] => [r.preOrderId],
};

/** The facts of a pre-order, evolved by its events (PreOrderPlaced creates them). */
export function evolvePreOrderFacts(row: PreOrderFacts | null, fact: DropFact): PreOrderFacts | null {
  const { event } = fact;
  if (event.type === 'PreOrderPlaced') {
    if (row) return row;
    const d = event.data;
    return {
      preOrderId: d.preOrderId,
      dropId: fact.dropId,
      sku: d.sku,
      quantity: d.quantity,
      status: 'active',
      refundRequested: false,
      handOver: 'awaiting',
      returnId: null,
      returnReason: null,
      returnStatus: null,
    };
  }
  return row ? progressPreOrder(row, fact) : null;
}

/** What the runtime (or runOnce) hands the reactor with a page: how to store its checkpoint in the reactor's transaction. */
export interface RestockPageContext {
  /**
   * Writes the processor's checkpoint (past this page) through `client`, the open transaction of
   * the reactor's state rows (called first in it, before the state rows are written); throws
   * (e.g. FencedError) when a newer holder already moved it, which rolls the transaction back.
   */
  saveCheckpoint(client: Queryable): Promise<void>;
  /** Whether the reactor's lease is still held right now: checked right before each append (a holder paused past its expiry appends nothing). */
  held?(): boolean;
}

/** The checkpoint moved under this reactor: another holder processed the page. */
export class RestockCheckpointMovedError extends Error {
  /** Recommendations the losing reactor appended before it found out (they are in the stream once: the winner saw them or lost the append race). */
  appended = 0;
  constructor() {
    super('restock reactor checkpoint moved: another reactor processed this page');
  }
}

/**
 * Turns reorder-point crossings into `RestockRecommended` events on `restock-<dropId>`. It is a
 * processor over the drop events, not a reader of the read models: it folds the log into its
 * own per-(drop, SKU) state rows (rm_restock_reactor: the inventory and restock-threshold read
 * models' pure evolves, applied on its own table) and a narrow per-pre-order table
 * (rm_restock_reactor_pre_orders), with its own checkpoint. A rebuild of the drop read models
 * therefore neither pauses nor disturbs it, and it works with those tables empty.
 *
 * Per page: read its state rows for the page's drops → evolve them in memory → for each SKU
 * whose crossings pass what it has emitted, append the crossings its `restock-<dropId>` stream
 * does not hold yet (expected revision = the stream's; ids derived by restockEventId) → then
 * commit the state rows and the checkpoint in one transaction. The append happens outside any
 * transaction: embedded PGlite has ONE connection for the store and the read models, and an
 * append inside an open transaction would wait for itself. A crash between append and commit,
 * a retry, or a second reactor after a lease takeover re-folds the page, finds the events in
 * the stream (or loses the expected-revision race and re-reads) and appends nothing twice; it
 * never relies on the store refusing a duplicate event id (EventStoreDB does not, reliably).
 */
export class RestockReactor {
  readonly name = RESTOCK_REACTOR_CHECKPOINT;
  readonly eventTypes = DROP_READ_MODEL_EVENT_TYPES;
  readonly streamPrefixes = ['drop-'] as const;
  private readonly now: () => Date;
  private readonly pageSize: number;
  private readonly serviceLevel: number;

  private readonly checkpoints: CheckpointStore;
  /** The bad event the reactor last stalled at (ON_BAD_EVENT=stop), so a stall is logged once. */
  private stalledAt: BadEvent | undefined;

  constructor(private readonly options: RestockReactorOptions) {
    this.checkpoints = new CheckpointStore(options.pool);
    this.now = options.now ?? (() => new Date());
    this.pageSize = options.pageSize ?? 5000;
    this.serviceLevel = options.serviceLevel ?? 0.95;
  }

  /**
   * Handles one page of drop events (in log order, from the position after the last committed
   * page): folds, appends the new recommendations, then commits the state with the checkpoint.
   * Returns how many events were appended.
   */
  async handlePage(events: readonly RecordedEvent[], context: RestockPageContext): Promise<number> {
    const { pool } = this.options;
    const facts: DropFact[] = [];
    for (const e of events) {
      const fact = factOf(e);
      if (fact) facts.push(fact);
    }
    const state = new RowSet(REACTOR_TABLE);
    const preOrders = new RowSet(PRE_ORDER_FACTS_TABLE);
    // Reads outside the transaction (the state only changes under the lease; the checkpoint
    // write at the end is the fence).
    const read = { client: pool, table: (t: string) => t };
    await state.load(read, 'drop_id', [...new Set(facts.map((f) => f.dropId))]);
    // As in the drop read models' executor: a pre-order placed by an event this page will apply
    // has no facts row yet (or a stale one, when the state was reset), so it is not loaded.
    const named = new Set<string>();
    const createdHere = new Set<string>();
    for (const f of facts) {
      const id = f.preOrderId;
      if (id === undefined) continue;
      if (f.event.type === 'PreOrderPlaced' && f.revision > this.lastRevision(state, f.dropId)) createdHere.add(id);
      else if (!createdHere.has(id)) named.add(id);
    }
    await preOrders.load(read, 'pre_order_id', [...named]);

    const touched = new Set<string>();
    const input = { serviceLevel: this.serviceLevel } as ThresholdInput;
    for (const fact of facts) if (this.fold(fact, state, preOrders, input)) touched.add(fact.dropId);

    let appended = 0;
    for (const dropId of touched) {
      const pending = [...state.members(dropId)]
        .map((sku) => state.get(dropId, sku)!)
        .filter((r) => r.threshold !== null && r.threshold.crossings > r.crossingsEmitted);
      if (pending.length === 0) continue;
      appended += await this.emit(dropId, pending, context);
      // The causes of emitted crossings are in their events now.
      for (const row of pending) state.set({ ...row, crossingsEmitted: row.threshold!.crossings, crossingCauses: null }, dropId, row.sku);
    }

    const client = await pool.connect();
    try {
      await client.query('begin');
      // The checkpoint first: a second reactor committing the same page waits on its row and then
      // fails its compare-and-set (or fence) before touching a state row, so the two never
      // deadlock over state rows written in different orders.
      await context.saveCheckpoint(client);
      const write = { client, table: (t: string) => t };
      await state.write(write);
      await preOrders.write(write);
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      if (e instanceof RestockCheckpointMovedError) e.appended = appended;
      throw e;
    } finally {
      client.release();
    }
    return appended;
  }

  /**
   * Folds one event into the state of its drop; returns whether it applied. The drop's rows are
   * this page's own (loaded or created for it), so they are updated in place, as the read models'
   * evolves update theirs (OWNERSHIP in drop-fact.ts); `input` is the page's one ThresholdInput,
   * refilled per event, as in the drop read models' executor.
   */
  private fold(fact: DropFact, state: RowSet<RestockReactorRow>, preOrders: RowSet<PreOrderFacts>, input: ThresholdInput): boolean {
    const { dropId, event } = fact;
    // The drop-level guard, as the read models': rows from before this design (crossings only) have revision -1.
    const lastRevision = this.lastRevision(state, dropId);
    const known = lastRevision >= 0;
    if (event.type === 'DropScheduled' ? known : !known || fact.revision <= lastRevision) return false;
    const preOrderId = fact.preOrderId;
    fact.preOrder = preOrderId === undefined ? undefined : preOrders.get(preOrderId);
    const defined = event.type === 'DropScheduled' || event.type === 'DropRevised' ? event.data.definition.window.closesAt : undefined;
    const closesAt = defined ?? this.closesAtOf(state, dropId);
    const row = (sku: string): RestockReactorRow =>
      state.get(dropId, sku) ?? {
        dropId,
        sku,
        crossingsEmitted: 0,
        lastRevision: -1,
        closesAt: null,
        inventory: null,
        threshold: null,
        crossingCauses: null,
      };
    const inventorySkus = [...state.members(dropId)].filter((sku) => state.get(dropId, sku)!.inventory !== null);
    for (const sku of inventorySkusOf(fact, inventorySkus)) {
      const r = row(sku);
      const inventory = evolveInventory(r.inventory, fact, sku);
      if (inventory === r.inventory) continue;
      r.inventory = inventory;
      state.set(r, dropId, sku);
    }
    if (closesAt !== null) {
      Object.assign(input, fact);
      input.inventory = undefined;
      input.closesAtMs = parseInstant(closesAt);
      const thresholdSkus = [...state.members(dropId)].filter((sku) => state.get(dropId, sku)!.threshold !== null);
      for (const sku of [...thresholdSkusOf(fact, thresholdSkus)]) {
        const r = row(sku);
        input.inventory = r.inventory ?? undefined;
        const before = r.threshold?.crossings ?? 0;
        const threshold = evolveRestockThreshold(r.threshold, input, sku);
        if (threshold !== r.threshold || (threshold?.crossings ?? 0) > before) {
          // evolve may update the row in place: compare with the count read before it.
          let crossingCauses = r.crossingCauses;
          for (let c = before + 1; c <= (threshold?.crossings ?? 0); c++) {
            const cause: CrossingCause = {
              eventId: fact.eventId,
              correlationId: fact.correlationId,
              traceparent: fact.traceparent,
              at: threshold!.lastCrossingAt ?? fact.at,
              reorderPoint: threshold!.reorderPoint,
              available: threshold!.available,
            };
            crossingCauses = { ...crossingCauses, [String(c)]: cause };
          }
          r.threshold = threshold;
          r.crossingCauses = crossingCauses;
          state.set(r, dropId, sku);
        }
      }
    }
    // Every row of the drop carries the revision (and the window close) it has folded.
    for (const sku of state.members(dropId)) {
      const r = state.get(dropId, sku)!;
      r.lastRevision = fact.revision;
      r.closesAt = closesAt;
      state.set(r, dropId, sku);
    }
    if (preOrderId !== undefined) preOrders.set(evolvePreOrderFacts(fact.preOrder ?? null, fact), preOrderId);
    return true;
  }

  /** The window close in force for the drop's rows (the first row that has one), null when none has. */
  private closesAtOf(state: RowSet<RestockReactorRow>, dropId: string): string | null {
    for (const sku of state.members(dropId)) {
      const closesAt = state.get(dropId, sku)!.closesAt;
      if (closesAt) return closesAt;
    }
    return null;
  }

  /** The last drop revision folded into the drop's rows (-1: none). */
  private lastRevision(state: RowSet<RestockReactorRow>, dropId: string): number {
    let max = -1;
    for (const sku of state.members(dropId)) max = Math.max(max, state.get(dropId, sku)!.lastRevision);
    return max;
  }

  /**
   * The reactor as a processor on the runtime (`reactor:restock`): the supervisor runs it under its
   * lease, and each page's checkpoint is saved, fenced, first in the transaction of its state rows.
   */
  processor(): Processor {
    return {
      name: this.name,
      filter: this.filter(),
      pageSize: this.pageSize,
      handle: async (page: ProcessorPage, context: ProcessorContext): Promise<PageOutcome> => {
        if (page.position === undefined) return;
        const { events, stoppedAt } = this.screen(page.events);
        // Stopped at a bad event: the checkpoint goes up to (not past) it.
        const through = stoppedAt ? events.at(-1)?.position : page.position;
        if (through !== undefined) {
          await this.handlePage(events, {
            held: () => context.held(),
            saveCheckpoint: (client) =>
              context.checkpoints.save(
                {
                  name: this.name,
                  position: through,
                  processed: events.length,
                  lastEventAt: events.at(-1)?.recordedAt,
                  fence: context.fence,
                },
                client,
              ),
          });
        }
        if (!stoppedAt) return;
        const position = through ?? (await context.checkpoints.load(this.name))?.position;
        return { position, stalled: { position: stoppedAt.position, reason: describeBadEvent(stoppedAt) } };
      },
    };
  }

  private filter() {
    return { streamPrefixes: [...this.streamPrefixes], eventTypes: [...this.eventTypes] };
  }

  /**
   * The page's events up to its first unknown or corrupted one (ON_BAD_EVENT=stop: the reactor
   * stalls before it, `stoppedAt`), or without them (skip: each is reported and left out), as the
   * projections do. A bad event would otherwise fail every page that holds it, for good.
   */
  private screen(page: readonly RecordedEvent[]): { events: RecordedEvent[]; stoppedAt: BadEvent | undefined } {
    const { events, stoppedAt, skipped } = screenBadEvents(page, this.options.onBadEvent ?? 'stop');
    for (const bad of skipped) this.options.logger?.warn(`${this.name} skipped (ON_BAD_EVENT=skip) ${describeBadEvent(bad)}`);
    if (stoppedAt && this.stalledAt?.position !== stoppedAt.position)
      this.options.logger?.warn(`${this.name} stalled (ON_BAD_EVENT=stop) at ${describeBadEvent(stoppedAt)}`);
    this.stalledAt = stoppedAt;
    return { events, stoppedAt };
  }

  /**
   * One page outside the supervisor (tests, tools): reads the next page after its checkpoint and
   * handles it. Unleased, so two reactors may race: the checkpoint row is locked and compared with
   * the position the page was read from, and the loser rolls its state back. Returns whether there
   * was work (events folded, or the log moved on).
   */
  async step(): Promise<{ worked: boolean; appended: number }> {
    const { store } = this.options;
    const stored = await this.checkpoints.load(this.name);
    const from = stored?.position;
    const page = await store.readAll({
      fromPosition: from,
      maxCount: this.pageSize,
      filter: this.filter(),
      ...(this.stalledAt ? { fresh: true } : {}),
    });
    // As the processor: up to (not past) a bad event under ON_BAD_EVENT=stop, past it under skip.
    const { events, stoppedAt } = this.screen(page.events);
    const through = stoppedAt ? events.at(-1)?.position : (page.position ?? page.events.at(-1)?.position);
    if (through === undefined || through === from) return { worked: false, appended: 0 };
    const saveCheckpoint = async (client: Queryable): Promise<void> => {
      const current = await this.checkpoints.lock(this.name, stored?.fence ?? 0, client);
      if (current.position !== from) throw new RestockCheckpointMovedError();
      await this.checkpoints.save(
        {
          name: this.name,
          position: through,
          processed: events.length,
          lastEventAt: events.at(-1)?.recordedAt,
          fence: current.fence,
        },
        client,
      );
    };
    try {
      const appended = await this.handlePage(events, { saveCheckpoint });
      return { worked: true, appended };
    } catch (e) {
      if (e instanceof RestockCheckpointMovedError) return { worked: true, appended: e.appended };
      throw e;
    }
  }

  /** Catches up with the log; returns how many events were appended. */
  async runOnce(): Promise<number> {
    let appended = 0;
    for (;;) {
      const result = await this.step();
      appended += result.appended;
      if (!result.worked) return appended;
    }
  }

  /** Appends the crossings of one drop that its restock stream does not hold yet; returns how many. */
  private async emit(dropId: string, pending: RestockReactorRow[], context: RestockPageContext): Promise<number> {
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
      // Fencing: the last moment to find out another instance took over. The append itself is
      // conditional too (expected revision), and only carries crossings the stream does not hold.
      if (context.held && !context.held()) throw new LeaseLostError(this.name, `appending ${events.length} restock recommendations`);
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
  private recommendations(row: RestockReactorRow, stored: number): NewEvent[] {
    const t = row.threshold!;
    const events: NewEvent[] = [];
    for (let crossing = stored + 1; crossing <= t.crossings; crossing++) {
      const cause: CrossingCause | undefined =
        row.crossingCauses?.[String(crossing)] ??
        (crossing === t.crossings && t.lastCrossingEventId && t.lastCrossingCorrelationId
          ? { eventId: t.lastCrossingEventId, correlationId: t.lastCrossingCorrelationId }
          : undefined);
      const at = cause?.at ?? t.lastCrossingAt;
      const event: RestockRecommended = {
        type: 'RestockRecommended',
        data: {
          dropId: row.dropId,
          sku: row.sku,
          crossing,
          // The contract's integer: the most units that are at or below the reorder point (the
          // crossing compares whole units with it), so `available <= reorderPoint` holds.
          reorderPoint: Math.floor(cause?.reorderPoint ?? t.reorderPoint),
          available: cause?.available ?? t.available,
          recommendedAt: at ? new Date(at).toISOString() : this.now().toISOString(),
        },
      };
      events.push({
        eventId: restockEventId(row.dropId, row.sku, crossing),
        type: event.type,
        schemaVersion: schemaVersionOf(event.type),
        data: event.data,
        metadata: {
          // The crossing's event: its correlation is kept and it is named as the cause. Rows folded
          // before causation was kept have none; their recommendations start a correlation of their own.
          correlationId: cause?.correlationId ?? `restock:${row.dropId}:${row.sku}:${crossing}`,
          causationId: cause?.eventId ?? null,
          actor: 'system:restock-reactor',
          occurredAt: event.data.recommendedAt,
          // In the crossing request's trace, as a command's events are in theirs; a trace of its
          // own when the cause's is unknown (a row folded before causes kept it) or invalid.
          traceparent: isTraceparent(cause?.traceparent) ? cause.traceparent : freshTraceparent(),
        },
      });
    }
    return events;
  }
}

/** A W3C traceparent of a new trace (random trace and parent ids, sampled). */
function freshTraceparent(): string {
  const ids = randomBytes(24).toString('hex');
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-01`;
}
