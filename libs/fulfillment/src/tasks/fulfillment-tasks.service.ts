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

/** Which tasks: at most `limit`, after the task a cursor (`TasksPage.next`, parsed by parseCursor) names. */
export interface TaskPage {
  limit?: number;
  after?: TaskKey;
}

/** A task's place in the lists: its dispatch deadline in microseconds since the epoch (the column's exact value) and its pre-order id. */
type TaskKey = readonly [dueMicros: string, preOrderId: string];

/** Tasks of a list, and the cursor of the next page when there is one. */
export interface TasksPage {
  tasks: FulfillmentTask[];
  next: string | undefined;
}

/** The key a cursor carries, or undefined when it is not a cursor of these lists. */
export function parseCursor(cursor: string): TaskKey | undefined {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(key) || key.length !== 2) return undefined;
    const [due, id] = key as unknown[];
    if (typeof due !== 'string' || !/^-?\d{1,16}$/.test(due) || typeof id !== 'string' || id.length === 0 || id.length > 200)
      return undefined;
    return [due, id];
  } catch {
    return undefined;
  }
}

/** The key's column values, compared as a row: `(dispatch_due_at, pre_order_id) > …` (microseconds, exactly). */
const AFTER = `($2::bigint is null or (dispatch_due_at, pre_order_id) > (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))`;
/** Each row's key beside it. */
const KEYED = `*, (extract(epoch from dispatch_due_at) * 1000000)::bigint::text as due_micros`;

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
   * at most `page.limit` after `page.after`, with the next page's cursor when more follow.
   */
  async open(dropId?: string, page: TaskPage = {}): Promise<TasksPage> {
    const [due, id] = page.after ?? [null, null];
    const { rows } = await this.pool.query(
      `select ${KEYED} from fulfillment.tasks where status in ('open', 'dispatched', 'ready') and ($1::text is null or drop_id = $1)
         and ${AFTER} order by dispatch_due_at, pre_order_id limit $4`,
      [dropId ?? null, due, id, page.limit === undefined ? null : page.limit + 1],
    );
    return this.page(rows, page.limit);
  }

  /** Tasks past their dispatch deadline and still not dispatched / ready, paged as `open`. */
  async late(page: TaskPage = {}): Promise<TasksPage> {
    const [due, id] = page.after ?? [null, null];
    const { rows } = await this.pool.query(
      `select ${KEYED} from fulfillment.tasks where status = 'open' and dispatch_due_at < $1
         and ${AFTER} order by dispatch_due_at, pre_order_id limit $4`,
      [this.now().toISOString(), due, id, page.limit === undefined ? null : page.limit + 1],
    );
    return this.page(rows, page.limit);
  }

  /** The first `limit` rows (one more was read to know whether a next page exists) and that page's cursor. */
  private page(rows: Record<string, any>[], limit: number | undefined): TasksPage {
    const more = limit !== undefined && rows.length > limit;
    const taken = more ? rows.slice(0, limit) : rows;
    const last = taken.at(-1);
    const next = more && last ? Buffer.from(JSON.stringify([last.due_micros, last.pre_order_id])).toString('base64url') : undefined;
    return { tasks: taken.map((r) => this.toTask(r)), next };
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
