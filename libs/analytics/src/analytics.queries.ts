import type { Pool } from 'pg';

export interface ChannelMetrics {
  channel: string;
  visits: number;
  uniqueVisitors: number;
  preOrders: number;
  /** Pre-orders per visit. */
  conversion: number | null;
  units: number;
  revenue: number;
  /** Mean units per pre-order not cancelled (as the tiers'; `units` and `revenue` leave cancelled ones out too). */
  averageBasketUnits: number | null;
  /** Mean seconds from the drop's first opening (its first access phase, or the window) to the pre-order. */
  averageSecondsFromOpen: number | null;
  /** Mean seconds from the customer's first visit (visitor id = customer id) to the pre-order. */
  averageSecondsFromFirstVisit: number | null;
}

export interface DropAnalytics {
  dropId: string;
  currency: string | null;
  editionTotal: number | null;
  channels: ChannelMetrics[];
  tiers: Array<{ tier: number; preOrders: number; units: number; revenue: number; averageBasketUnits: number }>;
  /** Cumulative net units per hour and the share of the edition they represent. */
  sellThrough: Array<{ hour: string; unitsSold: number; ratio: number | null }>;
  returns: {
    count: number;
    rate: number | null;
    byReason: Array<{ reason: string; count: number; rate: number | null }>;
    bySku: Array<{ sku: string; size: string | null; count: number; rate: number | null }>;
  };
  /** count and amount: money paid back (kinds `payment` and `return`); byKind also lists `requested` (refund requests). */
  refunds: { count: number; amount: number; byKind: Array<{ kind: string; count: number; amount: number }> };
}

/** Kinds of analytics.refunds rows that are money paid back (`requested` is an intent). */
const MONEY_REFUNDED: ReadonlySet<string> = new Set(['payment', 'return']);

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);
const mean = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

/** How long one drop's analytics serve every caller: each answer runs about ten aggregate queries. */
export const ANALYTICS_ANSWER_TTL_MS = 2_000;
/** Drops whose answers are kept for ANALYTICS_ANSWER_TTL_MS (the oldest are dropped beyond it). */
const MAX_KEPT_ANSWERS = 1_000;

/** Read side of analytics (HTTP and the restock-threshold read model call it). */
export class AnalyticsQueries {
  /** Per drop: the answer, and when it was computed (undefined while it is). */
  private readonly recent = new Map<string, { at: number | undefined; answer: Promise<DropAnalytics> }>();

  constructor(
    private readonly pool: Pool,
    private readonly answerTtlMs = ANALYTICS_ANSWER_TTL_MS,
  ) {}

  /**
   * The drop's analytics, shared by every caller while it is computed and for `answerTtlMs` after:
   * an analyst polling it, or several, cost the database one computation per interval, not one
   * per call. The consumer that feeds these tables lags the log by more than that anyway.
   */
  drop(dropId: string): Promise<DropAnalytics> {
    const hit = this.recent.get(dropId);
    if (hit && (hit.at === undefined || performance.now() - hit.at <= this.answerTtlMs)) return hit.answer;
    const answer = this.compute(dropId);
    const entry: { at: number | undefined; answer: Promise<DropAnalytics> } = { at: undefined, answer };
    this.recent.delete(dropId);
    this.recent.set(dropId, entry);
    // Kept for answerTtlMs from when it is ready; a failure is not kept: the next call asks again.
    answer.then(
      () => (entry.at = performance.now()),
      () => this.recent.get(dropId) === entry && this.recent.delete(dropId),
    );
    if (this.recent.size > MAX_KEPT_ANSWERS) this.recent.delete(this.recent.keys().next().value as string);
    return answer;
  }

  /** Pre-orders per visit per channel, the figure the restock threshold weighs demand with. */
  async conversion(dropId: string): Promise<Record<string, number | null>> {
    const metrics = await this.channels(dropId);
    return Object.fromEntries(metrics.map((m) => [m.channel, m.conversion]));
  }

  private async compute(dropId: string): Promise<DropAnalytics> {
    const drop = (await this.pool.query(`select currency, edition_total, sizes from analytics.drops where drop_id = $1`, [dropId])).rows[0];
    const editionTotal: number | null = drop ? num(drop.edition_total) : null;
    const sizes: Record<string, string> = drop ? (typeof drop.sizes === 'string' ? JSON.parse(drop.sizes) : drop.sizes) : {};
    const tiers = await this.pool.query(
      `select tier, count(*) as n, sum(quantity) as units, sum(total) as revenue from analytics.pre_orders
       where drop_id = $1 and cancelled_at is null group by tier order by tier`,
      [dropId],
    );
    const sell = await this.pool.query(
      `select to_char(date_trunc('hour', placed_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"') as hour, sum(quantity) as units
       from analytics.pre_orders where drop_id = $1 and cancelled_at is null group by 1 order by 1`,
      [dropId],
    );
    let cumulative = 0;
    const sellThrough = sell.rows.map((r) => {
      cumulative += num(r.units);
      return { hour: r.hour as string, unitsSold: cumulative, ratio: editionTotal ? ratio(cumulative, editionTotal) : null };
    });
    const orders = await this.pool.query(`select sku, count(*) as n from analytics.pre_orders where drop_id = $1 group by sku`, [dropId]);
    const ordersBySku = new Map(orders.rows.map((r) => [r.sku as string, num(r.n)]));
    const totalOrders = [...ordersBySku.values()].reduce((a, b) => a + b, 0);
    const byReason = await this.pool.query(
      `select reason, count(*) as n from analytics.returns where drop_id = $1 group by reason order by reason`,
      [dropId],
    );
    const bySku = await this.pool.query(
      `select p.sku, count(*) as n from analytics.returns r join analytics.pre_orders p on p.pre_order_id = r.pre_order_id
       where r.drop_id = $1 group by p.sku order by p.sku`,
      [dropId],
    );
    const returnCount = byReason.rows.reduce((a, r) => a + num(r.n), 0);
    const refunds = await this.pool.query(
      `select kind, count(*) as n, sum(amount) as amount from analytics.refunds where drop_id = $1 group by kind order by kind`,
      [dropId],
    );
    return {
      dropId,
      currency: drop?.currency ?? null,
      editionTotal,
      channels: await this.channels(dropId),
      tiers: tiers.rows.map((r) => ({
        tier: num(r.tier),
        preOrders: num(r.n),
        units: num(r.units),
        revenue: num(r.revenue),
        averageBasketUnits: ratio(num(r.units), num(r.n)) ?? 0,
      })),
      sellThrough,
      returns: {
        count: returnCount,
        rate: ratio(returnCount, totalOrders),
        byReason: byReason.rows.map((r) => ({ reason: r.reason, count: num(r.n), rate: ratio(num(r.n), totalOrders) })),
        bySku: bySku.rows.map((r) => ({
          sku: r.sku,
          size: sizes[r.sku] ?? null,
          count: num(r.n),
          rate: ratio(num(r.n), ordersBySku.get(r.sku) ?? 0),
        })),
      },
      refunds: {
        // Money paid back: the provider's refunds and returns' refunds. A request is the intent
        // of a refund the provider then makes (PaymentRefunded): counting both counted it twice.
        count: refunds.rows.filter((r) => MONEY_REFUNDED.has(r.kind)).reduce((a, r) => a + num(r.n), 0),
        amount: refunds.rows.filter((r) => MONEY_REFUNDED.has(r.kind)).reduce((a, r) => a + num(r.amount), 0),
        byKind: refunds.rows.map((r) => ({ kind: r.kind, count: num(r.n), amount: num(r.amount) })),
      },
    };
  }

  private async channels(dropId: string): Promise<ChannelMetrics[]> {
    const { rows } = await this.pool.query(
      `with ch as (
         select channel from analytics.visits where drop_id = $1
         union select channel from analytics.pre_orders where drop_id = $1)
       select ch.channel,
         coalesce((select visits from analytics.visits v where v.drop_id = $1 and v.channel = ch.channel), 0) as visits,
         (select count(*) from analytics.visitors vi where vi.drop_id = $1 and vi.channel = ch.channel) as visitors,
         (select count(*) from analytics.pre_orders p where p.drop_id = $1 and p.channel = ch.channel) as pre_orders,
         (select count(*) from analytics.pre_orders p where p.drop_id = $1 and p.channel = ch.channel and p.cancelled_at is null) as active_pre_orders,
         (select coalesce(sum(quantity), 0) from analytics.pre_orders p where p.drop_id = $1 and p.channel = ch.channel and p.cancelled_at is null) as units,
         (select coalesce(sum(total), 0) from analytics.pre_orders p where p.drop_id = $1 and p.channel = ch.channel and p.cancelled_at is null) as revenue,
         (select avg(extract(epoch from (p.placed_at - d.opened_at))) from analytics.pre_orders p join analytics.drops d on d.drop_id = p.drop_id
            where p.drop_id = $1 and p.channel = ch.channel and d.opened_at is not null) as from_open,
         (select avg(extract(epoch from (p.placed_at - vi.first_visit_at))) from analytics.pre_orders p
            join analytics.visitors vi on vi.drop_id = p.drop_id and vi.visitor_id = p.customer_id
            where p.drop_id = $1 and p.channel = ch.channel) as from_visit
       from ch order by ch.channel`,
      [dropId],
    );
    return rows.map((r) => ({
      channel: r.channel,
      visits: num(r.visits),
      uniqueVisitors: num(r.visitors),
      preOrders: num(r.pre_orders),
      conversion: ratio(num(r.pre_orders), num(r.visits)),
      units: num(r.units),
      revenue: num(r.revenue),
      averageBasketUnits: ratio(num(r.units), num(r.active_pre_orders)),
      averageSecondsFromOpen: mean(r.from_open),
      averageSecondsFromFirstVisit: mean(r.from_visit),
    }));
  }
}
