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

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** Reads tasks and reports hand-overs to the engine. */
export class FulfillmentTasks {
  constructor(
    private readonly pool: Pool,
    private readonly engine: EngineCommands,
    private readonly now: () => Date,
  ) {}

  /** Tasks not yet handed over (optionally of one drop). */
  async open(dropId?: string): Promise<FulfillmentTask[]> {
    const { rows } = await this.pool.query(
      `select * from fulfillment.tasks where status in ('open', 'dispatched', 'ready') and ($1::text is null or drop_id = $1) order by dispatch_due_at, pre_order_id`,
      [dropId ?? null],
    );
    return rows.map((r) => this.toTask(r));
  }

  /** Tasks past their dispatch deadline and still not dispatched / ready. */
  async late(): Promise<FulfillmentTask[]> {
    const { rows } = await this.pool.query(
      `select * from fulfillment.tasks where status = 'open' and dispatch_due_at < $1 order by dispatch_due_at, pre_order_id`,
      [this.now().toISOString()],
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
