import { applyInRuns, ConsumerHandler, DeliveredEvent, Queryable } from '@dropline/messaging';

/**
 * Analytics' reaction to drop events: facts kept at the grain the questions need (visits,
 * visitors, pre-orders, returns, refunds); the ratios are computed when asked (AnalyticsQueries).
 * Members events (DropMembersAdded/Removed) are not among its types: customer ids granted access
 * are no analytics fact, and the consumer skips them.
 */
export class AnalyticsHandler implements ConsumerHandler {
  readonly name = 'analytics';
  readonly eventTypes: ReadonlySet<string> = new Set([
    'DropScheduled',
    'DropRevised',
    'PreOrderWindowOpened',
    'EarlyAccessOpened',
    'AccessPhaseOpened',
    'VisitsRecorded',
    'PreOrderPlaced',
    'PreOrderCancelled',
    'ReturnRequested',
    'ReturnReceived',
    'ReturnRefunded',
    'RefundRequested',
    'PaymentRefunded',
  ]);

  async migrate(db: Queryable): Promise<void> {
    await db.query(`create table if not exists analytics.drops (
      drop_id text primary key, currency text not null, edition_total int not null, sizes jsonb not null, opened_at timestamptz)`);
    await db.query(`create table if not exists analytics.visits (
      drop_id text not null, channel text not null, visits bigint not null, primary key (drop_id, channel))`);
    await db.query(`create table if not exists analytics.visitors (
      drop_id text not null, visitor_id text not null, channel text not null, first_visit_at timestamptz not null, primary key (drop_id, visitor_id))`);
    await db.query(`create table if not exists analytics.pre_orders (
      pre_order_id text primary key, drop_id text not null, customer_id text not null, channel text not null, sku text not null,
      quantity int not null, tier int not null, total bigint not null, placed_at timestamptz not null, cancelled_at timestamptz)`);
    await db.query(`create table if not exists analytics.returns (
      return_id text primary key, drop_id text not null, pre_order_id text not null, reason text not null,
      requested_at timestamptz not null, received_condition text, refunded bigint)`);
    await db.query(`create table if not exists analytics.refunds (
      ce_id text primary key, drop_id text not null, pre_order_id text not null, kind text not null, amount bigint not null, at timestamptz not null)`);
  }

  async apply(event: DeliveredEvent, tx: Queryable): Promise<void> {
    const d = event.data as Record<string, any>;
    switch (event.type) {
      case 'DropScheduled':
      case 'DropRevised': {
        const variants: Array<{ sku: string; size: string; editionCap: number }> = d.definition.variants;
        const sizes = Object.fromEntries(variants.map((v) => [v.sku, v.size]));
        const total = variants.reduce((sum, v) => sum + v.editionCap, 0);
        await tx.query(
          `insert into analytics.drops (drop_id, currency, edition_total, sizes) values ($1, $2, $3, $4)
           on conflict (drop_id) do update set currency = excluded.currency, edition_total = excluded.edition_total, sizes = excluded.sizes`,
          [d.dropId, d.definition.currency, total, JSON.stringify(sizes)],
        );
        return;
      }
      case 'EarlyAccessOpened':
      case 'AccessPhaseOpened':
      case 'PreOrderWindowOpened':
        // The first opening (an access phase, early access as stored before phases, or the public window) starts the purchase clock.
        await tx.query(`update analytics.drops set opened_at = least(coalesce(opened_at, $2), $2) where drop_id = $1`, [
          d.dropId,
          d.openedAt,
        ]);
        return;
      case 'VisitsRecorded': {
        const counts = new Map<string, number>();
        for (const v of d.visits as Array<{ visitorId: string; channel: string; at: string }>) {
          counts.set(v.channel, (counts.get(v.channel) ?? 0) + 1);
          await tx.query(
            `insert into analytics.visitors (drop_id, visitor_id, channel, first_visit_at) values ($1, $2, $3, $4)
             on conflict (drop_id, visitor_id) do update
               set first_visit_at = least(analytics.visitors.first_visit_at, excluded.first_visit_at),
                   channel = case when excluded.first_visit_at < analytics.visitors.first_visit_at then excluded.channel else analytics.visitors.channel end`,
            [d.dropId, v.visitorId, v.channel, v.at],
          );
        }
        for (const [channel, n] of counts) {
          await tx.query(
            `insert into analytics.visits (drop_id, channel, visits) values ($1, $2, $3)
             on conflict (drop_id, channel) do update set visits = analytics.visits.visits + excluded.visits`,
            [d.dropId, channel, n],
          );
        }
        return;
      }
      case 'PreOrderPlaced':
        return this.insertPreOrders([event], tx);
      case 'PreOrderCancelled':
        await tx.query(`update analytics.pre_orders set cancelled_at = $2 where pre_order_id = $1`, [d.preOrderId, d.cancelledAt]);
        return;
      case 'ReturnRequested':
        await tx.query(
          `insert into analytics.returns (return_id, drop_id, pre_order_id, reason, requested_at) values ($1, $2, $3, $4, $5) on conflict (return_id) do nothing`,
          [d.returnId, d.dropId, d.preOrderId, d.reason, d.requestedAt],
        );
        return;
      case 'ReturnReceived':
        await tx.query(`update analytics.returns set received_condition = $2 where return_id = $1`, [d.returnId, d.condition]);
        return;
      case 'ReturnRefunded':
        await tx.query(`update analytics.returns set refunded = $2 where return_id = $1`, [d.returnId, d.amount]);
        await this.refund(tx, event.id, d, 'return', d.refundedAt);
        return;
      case 'RefundRequested':
        await this.refund(tx, event.id, d, 'requested', d.requestedAt);
        return;
      case 'PaymentRefunded':
        await this.refund(tx, event.id, d, 'payment', d.refundedAt);
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

  /** PreOrderPlaced events in one statement (a re-sent one changes nothing). */
  private async insertPreOrders(events: readonly DeliveredEvent[], tx: Queryable): Promise<void> {
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const event of events) {
      const d = event.data as Record<string, any>;
      [d.preOrderId, d.dropId, d.customerId, d.channel, d.sku, d.quantity, d.tier, d.total, d.placedAt].forEach((v, i) =>
        columns[i].push(v ?? null),
      );
    }
    await tx.query(
      `insert into analytics.pre_orders (pre_order_id, drop_id, customer_id, channel, sku, quantity, tier, total, placed_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[], $9::timestamptz[])
       on conflict (pre_order_id) do nothing`,
      columns,
    );
  }

  private async refund(tx: Queryable, ceId: string, d: Record<string, any>, kind: string, at: string): Promise<void> {
    await tx.query(
      `insert into analytics.refunds (ce_id, drop_id, pre_order_id, kind, amount, at) values ($1, $2, $3, $4, $5, $6) on conflict (ce_id) do nothing`,
      [ceId, d.dropId, d.preOrderId, kind, d.amount, at],
    );
  }
}
