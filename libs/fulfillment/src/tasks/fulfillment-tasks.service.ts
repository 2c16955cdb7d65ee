import type { Pool } from 'pg';
import type { EngineCommands, HandOverOrigin, HandOverReport } from '../engine/engine-commands';

export interface FulfillmentTask {
  preOrderId: string;
  dropId: string;
  runId: string;
  kind: 'ship' | 'pickup';
  locationId: string | null;
  customerId: string;
  sku: string;
  quantity: number;
  /** `cancelled`: a refund was requested before it was dispatched or made ready. */
  status: 'open' | 'dispatched' | 'ready' | 'delivered' | 'picked-up' | 'cancelled';
  createdAt: string;
  dispatchDueAt: string;
  dispatchedAt: string | null;
  doneAt: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  /** Not dispatched (or made ready) by its SLA deadline. */
  late: boolean;
}

/** A page of tasks: at most `limit`, after the task at (`dispatchDueAt`, `preOrderId`). */
export interface TaskPage {
  limit?: number;
  after?: readonly [dueAt: string, preOrderId: string];
}

/** The opaque cursor of the page after `task` (base64url of its sort key). */
export function cursorOf(task: FulfillmentTask): string {
  return Buffer.from(JSON.stringify([task.dispatchDueAt, task.preOrderId])).toString('base64url');
}

/** The sort key a cursor carries, or undefined when it is not one `cursorOf` made. */
export function parseCursor(cursor: string): readonly [string, string] | undefined {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(key) || key.length !== 2) return undefined;
    const [due, id] = key as unknown[];
    if (typeof due !== 'string' || typeof id !== 'string' || id.length > 200 || Number.isNaN(Date.parse(due))) return undefined;
    return [new Date(due).toISOString(), id];
  } catch {
    return undefined;
  }
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** Reads tasks and reports hand-overs to the engine. */
export class FulfillmentTasks {
  constructor(
    private readonly pool: Pool,
    private readonly engine: EngineCommands,
    private readonly now: () => Date,
  ) {}

  /**
   * Tasks not yet handed over (optionally of one drop), by dispatch deadline then pre-order id:
   * at most `page.limit` after the task `page.after` names (a cursor from `cursorOf`).
   */
  async open(dropId?: string, page: TaskPage = {}): Promise<FulfillmentTask[]> {
    const [due, id] = page.after ?? [null, null];
    const { rows } = await this.pool.query(
      `select * from fulfillment.tasks where status in ('open', 'dispatched', 'ready') and ($1::text is null or drop_id = $1)
         and ($2::timestamptz is null or (dispatch_due_at, pre_order_id) > ($2::timestamptz, $3::text))
       order by dispatch_due_at, pre_order_id limit $4`,
      [dropId ?? null, due, id, page.limit ?? null],
    );
    return rows.map((r) => this.toTask(r));
  }

  /** Tasks past their dispatch deadline and still not dispatched / ready, paged as `open`. */
  async late(page: TaskPage = {}): Promise<FulfillmentTask[]> {
    const [due, id] = page.after ?? [null, null];
    const { rows } = await this.pool.query(
      `select * from fulfillment.tasks where status = 'open' and dispatch_due_at < $1
         and ($2::timestamptz is null or (dispatch_due_at, pre_order_id) > ($2::timestamptz, $3::text))
       order by dispatch_due_at, pre_order_id limit $4`,
      [this.now().toISOString(), due, id, page.limit ?? null],
    );
    return rows.map((r) => this.toTask(r));
  }

  async get(preOrderId: string): Promise<FulfillmentTask | undefined> {
    const { rows } = await this.pool.query(`select * from fulfillment.tasks where pre_order_id = $1`, [preOrderId]);
    return rows[0] ? this.toTask(rows[0]) : undefined;
  }

  /**
   * Reports a hand-over to the engine as a command. The task's row changes when the
   * resulting event comes back through the consumer, so the history stays the one truth.
   */
  async report(preOrderId: string, report: HandOverReport, origin?: HandOverOrigin): Promise<void> {
    await this.engine.report(preOrderId, report, origin);
  }

  private toTask(r: Record<string, any>): FulfillmentTask {
    const due = iso(r.dispatch_due_at)!;
    const dispatched = iso(r.dispatched_at);
    return {
      preOrderId: r.pre_order_id,
      dropId: r.drop_id,
      runId: r.run_id,
      kind: r.kind,
      locationId: r.location_id,
      customerId: r.customer_id,
      sku: r.sku,
      quantity: r.quantity,
      status: r.status,
      createdAt: iso(r.created_at)!,
      dispatchDueAt: due,
      dispatchedAt: dispatched,
      doneAt: iso(r.done_at),
      carrier: r.carrier,
      trackingNumber: r.tracking_number,
      late: dispatched ? dispatched > due : Date.parse(due) < this.now().getTime(),
    };
  }
}
