import { ConsumerHandler, DeliveredEvent, PermanentRejection, Queryable } from '@dropline/messaging';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Fulfillment's reaction to drop events. It remembers each pre-order's hand-over choice;
 * when a production run completes it opens one task per covered pre-order (shipment, or
 * pickup at the chosen location) due for dispatch within the carrier SLA; the engine's
 * hand-over facts close the tasks. Ordering per drop guarantees PreOrderPlaced arrives
 * before the run that covers it, so a covered pre-order it never saw is a permanent
 * rejection (dead-lettered), not something to wait for.
 */
export class FulfillmentHandler implements ConsumerHandler {
  readonly name = 'fulfillment';
  readonly eventTypes: ReadonlySet<string> = new Set([
    'PreOrderPlaced',
    'PreOrderCancelled',
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
        await tx.query(
          `insert into fulfillment.pre_orders (pre_order_id, drop_id, customer_id, sku, quantity, method, location_id)
           values ($1, $2, $3, $4, $5, $6, $7) on conflict (pre_order_id) do nothing`,
          [d.preOrderId, d.dropId, d.customerId, d.sku, d.quantity, d.fulfillment?.method, d.fulfillment?.locationId ?? null],
        );
        return;
      case 'PreOrderCancelled':
        await tx.query(`update fulfillment.pre_orders set cancelled = true where pre_order_id = $1`, [d.preOrderId]);
        return;
      case 'ProductionRunCompleted': {
        const covered: string[] = d.coveredPreOrderIds ?? [];
        if (covered.length === 0) return;
        const { rows } = await tx.query<{
          pre_order_id: string;
          customer_id: string;
          sku: string;
          quantity: number;
          method: string;
          location_id: string | null;
        }>(
          `select pre_order_id, customer_id, sku, quantity, method, location_id from fulfillment.pre_orders where pre_order_id = any($1::text[])`,
          [covered],
        );
        const known = new Map(rows.map((r) => [r.pre_order_id, r]));
        const missing = covered.filter((id) => !known.has(id));
        if (missing.length > 0) {
          throw new PermanentRejection(
            'FULFILLMENT.UNKNOWN_PRE_ORDER',
            `run ${d.runId} covers pre-orders never placed: ${missing.slice(0, 5).join(', ')}`,
          );
        }
        const due = new Date(Date.parse(d.completedAt) + this.dispatchSlaDays * DAY_MS).toISOString();
        for (const id of covered) {
          const p = known.get(id)!;
          await tx.query(
            `insert into fulfillment.tasks (pre_order_id, drop_id, run_id, kind, location_id, customer_id, sku, quantity, status, created_at, dispatch_due_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) on conflict (pre_order_id) do nothing`,
            [
              id,
              d.dropId,
              d.runId,
              p.method === 'pickup' ? 'pickup' : 'ship',
              p.location_id,
              p.customer_id,
              p.sku,
              p.quantity,
              d.completedAt,
              due,
            ],
          );
        }
        return;
      }
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
}
