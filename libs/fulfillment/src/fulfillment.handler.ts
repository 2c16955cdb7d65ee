import { allocateRun } from '@dropline/domain';
import { applyInRuns, ConsumerHandler, DeliveredEvent, PermanentRejection, Queryable } from '@dropline/messaging';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Fulfillment's reaction to drop events. It remembers each pre-order's hand-over choice, its
 * place in the acceptance order and whether it was cancelled or asked for a refund; when a
 * production run completes it works out which pre-orders the run covered with the domain's
 * allocation rule (ProductionRunCompleted names none: the ids would grow with the drop past
 * Kafka's 1 MB) and opens one task per covered pre-order (shipment, or pickup at the chosen
 * location) due for dispatch within the carrier SLA; the engine's hand-over facts close the
 * tasks, and a refund requested before dispatch cancels one. Ordering per drop guarantees every fact about a pre-order arrives before the run
 * that covers it, so an allocation whose counts differ from the event's is a permanent
 * rejection (dead-lettered), not something to wait for.
 */
export class FulfillmentHandler implements ConsumerHandler {
  readonly name = 'fulfillment';
  readonly eventTypes: ReadonlySet<string> = new Set([
    'PreOrderPlaced',
    'PreOrderCancelled',
    'RefundRequested',
    'ProductionRunCompleted',
    'ShipmentDispatched',
    'ShipmentDelivered',
    'ReadyForPickup',
    'PreOrderPickedUp',
  ]);

  constructor(private readonly dispatchSlaDays: number) {}

  async migrate(db: Queryable): Promise<void> {
    await db.query(`create table if not exists fulfillment.pre_orders (
      pre_order_id text primary key, drop_id text not null, customer_id text not null, sku text not null,
      quantity int not null, method text not null, location_id text, cancelled boolean not null default false)`);
    // Added with ProductionRunCompleted v2, which the consumer allocates itself: acceptance order and refunds.
    await db.query(`alter table fulfillment.pre_orders add column if not exists sequence int`);
    await db.query(`alter table fulfillment.pre_orders add column if not exists refund_requested boolean not null default false`);
    await db.query(`create index if not exists pre_orders_drop_sequence on fulfillment.pre_orders (drop_id, sequence)`);
    await db.query(`create table if not exists fulfillment.tasks (
      pre_order_id text primary key, drop_id text not null, run_id text not null, kind text not null,
      location_id text, customer_id text not null, sku text not null, quantity int not null,
      status text not null, created_at timestamptz not null, dispatch_due_at timestamptz not null,
      dispatched_at timestamptz, done_at timestamptz, carrier text, tracking_number text)`);
    await db.query(`create index if not exists tasks_status_due on fulfillment.tasks (status, dispatch_due_at)`);
  }

  async apply(event: DeliveredEvent, tx: Queryable): Promise<void> {
    const d = event.data as Record<string, any>;
    switch (event.type) {
      case 'PreOrderPlaced':
        return this.insertPreOrders([event], tx);
      case 'PreOrderCancelled':
        await tx.query(`update fulfillment.pre_orders set cancelled = true where pre_order_id = $1`, [d.preOrderId]);
        return;
      case 'RefundRequested':
        await tx.query(`update fulfillment.pre_orders set refund_requested = true where pre_order_id = $1`, [d.preOrderId]);
        // The engine refuses to dispatch or make ready a pre-order with a refund requested: its
        // task, if not started, is done with (a pickup already made ready may still be collected).
        await tx.query(`update fulfillment.tasks set status = 'cancelled', done_at = $2 where pre_order_id = $1 and status = 'open'`, [
          d.preOrderId,
          d.requestedAt,
        ]);
        return;
      case 'ProductionRunCompleted':
        return this.runCompleted(d, tx);
      case 'ShipmentDispatched':
        await tx.query(
          `update fulfillment.tasks set status = 'dispatched', dispatched_at = $2, carrier = $3, tracking_number = $4 where pre_order_id = $1 and status = 'open'`,
          [d.preOrderId, d.dispatchedAt, d.carrier, d.trackingNumber],
        );
        return;
      case 'ReadyForPickup':
        await tx.query(`update fulfillment.tasks set status = 'ready', dispatched_at = $2 where pre_order_id = $1 and status = 'open'`, [
          d.preOrderId,
          d.readyAt,
        ]);
        return;
      case 'ShipmentDelivered':
        await tx.query(
          `update fulfillment.tasks set status = 'delivered', done_at = $2 where pre_order_id = $1 and status in ('open', 'dispatched')`,
          [d.preOrderId, d.deliveredAt],
        );
        return;
      case 'PreOrderPickedUp':
        await tx.query(
          `update fulfillment.tasks set status = 'picked-up', done_at = $2 where pre_order_id = $1 and status in ('open', 'ready')`,
          [d.preOrderId, d.pickedUpAt],
        );
        return;
      default:
        return;
    }
  }

  /** A page's events: each run of PreOrderPlaced (the hot path's event) in one insert. */
  readonly applyAll = applyInRuns(
    'PreOrderPlaced',
    (run, tx) => this.insertPreOrders(run, tx),
    (event, tx) => this.apply(event, tx),
  );

  /** PreOrderPlaced events in one statement: the hand-over choice and the acceptance sequence (a re-sent one changes nothing). */
  private async insertPreOrders(events: readonly DeliveredEvent[], tx: Queryable): Promise<void> {
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const event of events) {
      const d = event.data as Record<string, any>;
      [d.preOrderId, d.dropId, d.customerId, d.sku, d.quantity, d.fulfillment?.method, d.fulfillment?.locationId, d.sequence].forEach(
        (v, i) => columns[i].push(v ?? null),
      );
    }
    await tx.query(
      `insert into fulfillment.pre_orders (pre_order_id, drop_id, customer_id, sku, quantity, method, location_id, sequence)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::int[])
       on conflict (pre_order_id) do nothing`,
      columns,
    );
  }

  /**
   * Opens the tasks of the pre-orders a run covered: the drop's pre-orders still waiting for
   * goods (not cancelled, no refund requested, no task from an earlier run) in acceptance
   * order, allocated by the domain's rule (allocateRun) from the run's good units. The event's
   * counts check the result: a consumer that missed a fact would cover other pre-orders.
   */
  private async runCompleted(d: Record<string, any>, tx: Queryable): Promise<void> {
    const { rows: waiting } = await tx.query<{ pre_order_id: string; sku: string; quantity: number; sequence: number | null }>(
      `select p.pre_order_id, p.sku, p.quantity, p.sequence from fulfillment.pre_orders p
        where p.drop_id = $1 and not p.cancelled and not p.refund_requested
          and not exists (select 1 from fulfillment.tasks t where t.pre_order_id = p.pre_order_id)
        order by p.sequence`,
      [d.dropId],
    );
    const unsequenced = waiting.filter((p) => p.sequence === null).length;
    if (unsequenced > 0) {
      // Stored before this consumer kept the acceptance order: their run cannot be allocated here.
      throw new PermanentRejection(
        'FULFILLMENT.UNKNOWN_ACCEPTANCE_ORDER',
        `run ${d.runId}: ${unsequenced} waiting pre-order(s) of drop ${d.dropId} have no acceptance sequence; rebuild the fulfillment schema from the topic`,
      );
    }
    const allocation = allocateRun(d.goodBySku ?? {}, waiting);
    if (allocation.covered.length !== d.coveredPreOrderCount || allocation.uncovered.length !== d.uncoveredPreOrderCount) {
      throw new PermanentRejection(
        'FULFILLMENT.ALLOCATION_MISMATCH',
        `run ${d.runId} covered ${d.coveredPreOrderCount} and left ${d.uncoveredPreOrderCount} waiting; ` +
          `from the pre-orders this consumer saw the allocation rule gives ${allocation.covered.length} and ${allocation.uncovered.length}`,
      );
    }
    if (allocation.covered.length === 0) return;
    const due = new Date(Date.parse(d.completedAt) + this.dispatchSlaDays * DAY_MS).toISOString();
    // One statement for the whole run, however many pre-orders it covers.
    await tx.query(
      `insert into fulfillment.tasks (pre_order_id, drop_id, run_id, kind, location_id, customer_id, sku, quantity, status, created_at, dispatch_due_at)
       select p.pre_order_id, p.drop_id, $2, case when p.method = 'pickup' then 'pickup' else 'ship' end, p.location_id,
              p.customer_id, p.sku, p.quantity, 'open', $3, $4
         from fulfillment.pre_orders p where p.pre_order_id = any($1::text[])
       on conflict (pre_order_id) do nothing`,
      [allocation.covered.map((p) => p.pre_order_id), d.runId, d.completedAt, due],
    );
  }
}
