import { DAY_MS, dropIdFromStreamName, DropDefinition, DropEvent, reorderPoint, tierIndexFor, upcast } from '@dropline/domain';
import type { RecordedEvent } from '@dropline/event-store';
import type { PageContext, Projection } from '../projection';
import { deleteRows, upsertRows } from '../upsert';
import {
  DropSummaryRow,
  INVENTORY_COLUMNS,
  InventoryRow,
  inventoryFromDb,
  PRE_ORDER_COLUMNS,
  preOrderFromDb,
  PreOrderRow,
  ProductionRunRow,
  REASON_COLUMNS,
  reasonFromDb,
  RestockThresholdRow,
  ReturnsByReasonRow,
  RUN_COLUMNS,
  runFromDb,
  SUMMARY_COLUMNS,
  summaryFromDb,
  THRESHOLD_COLUMNS,
  thresholdFromDb,
} from './drop-read-models.rows';

/** The drop events this projection folds (payment facts and sold-out markers change none of its rows). */
export const DROP_READ_MODEL_EVENT_TYPES = [
  'DropScheduled',
  'DropRevised',
  'DropAnnounced',
  'EarlyAccessOpened',
  'PreOrderWindowOpened',
  'PreOrderPlaced',
  'PreOrderCancelled',
  'PreOrderWindowClosed',
  'TippingPointReached',
  'DropCancelled',
  'RefundRequested',
  'ProductionRunRequested',
  'ProductionRunStarted',
  'ProductionRunCompleted',
  'ShipmentDispatched',
  'ShipmentDelivered',
  'ReadyForPickup',
  'PreOrderPickedUp',
  'ReturnRequested',
  'ReturnReceived',
  'ReturnRefunded',
  'DropCompleted',
] as const;

export const DROP_READ_MODEL_TABLES = [
  'rm_drop_summary',
  'rm_inventory',
  'rm_customer_pre_orders',
  'rm_production_runs',
  'rm_returns_by_reason',
  'rm_restock_thresholds',
] as const;

export interface DropReadModelsOptions {
  /** Service level of the restock thresholds (probability of no stock-out during the lead time). */
  serviceLevel?: number;
}

const key = (a: string, b: string): string => `${a}\u0000${b}`;

/**
 * Every read model of a drop in one projection: one pass over the log and one transaction per
 * page for the summary, inventory, pre-orders by customer, production runs, returns by reason
 * and restock thresholds. All of a drop's events live in its one stream, so the drop's
 * summary row carries the last applied stream revision and guards every row of the drop
 * against a redelivered event.
 */
export class DropReadModelsProjection implements Projection {
  readonly name = 'drops';
  readonly version = 1;
  readonly eventTypes = DROP_READ_MODEL_EVENT_TYPES;
  readonly streamPrefixes = ['drop-'];
  readonly tables = DROP_READ_MODEL_TABLES;
  private readonly serviceLevel: number;

  constructor(options: DropReadModelsOptions = {}) {
    this.serviceLevel = options.serviceLevel ?? 0.95;
  }

  async applyPage(events: readonly RecordedEvent[], context: PageContext): Promise<void> {
    const page = new DropPage(this.serviceLevel);
    const dropIds = new Set<string>();
    for (const e of events) {
      const dropId = dropIdFromStreamName(e.streamName);
      if (dropId) dropIds.add(dropId);
    }
    if (dropIds.size === 0) return;
    await page.loadDrops(context, [...dropIds]);
    // A pre-order (run) placed (requested) by an event this page will apply cannot have a row
    // yet: its drop's rows have not seen that revision. So only ids first met in a later event,
    // or created by an event the revision guard will skip, are loaded (in a rebuild, most rows
    // referenced in a page were created in it).
    const preOrderIds = new Set<string>();
    const runIds = new Set<string>();
    const createdHere = new Set<string>();
    for (const e of events) {
      const dropId = dropIdFromStreamName(e.streamName);
      if (!dropId) continue;
      const d = e.data as { preOrderId?: unknown; runId?: unknown };
      if (e.type === 'PreOrderPlaced' || e.type === 'ProductionRunRequested') {
        const id = String(e.type === 'PreOrderPlaced' ? d.preOrderId : d.runId);
        if (page.willApply(dropId, e.revision)) {
          createdHere.add(id);
          continue;
        }
      }
      if (typeof d.preOrderId === 'string' && !createdHere.has(d.preOrderId)) preOrderIds.add(d.preOrderId);
      if (typeof d.runId === 'string' && !createdHere.has(d.runId)) runIds.add(d.runId);
    }
    await page.loadChildren(context, [...preOrderIds], [...runIds]);
    for (const e of events) page.apply(e);
    await page.write(context);
  }
}

interface ThresholdInputs {
  firstDay: number;
  lastDay: number;
  unitsAccepted: number;
  rate: number;
  leadTimeDays: number;
  windowStart: string;
  unitsHandedOver: number;
}

/** The rows of one page, folded in memory and written once. */
class DropPage {
  readonly summaries = new Map<string, DropSummaryRow>();
  readonly inventory = new Map<string, InventoryRow>();
  readonly thresholds = new Map<string, RestockThresholdRow>();
  readonly preOrders = new Map<string, PreOrderRow>();
  readonly runs = new Map<string, ProductionRunRow>();
  readonly reasons = new Map<string, ReturnsByReasonRow>();
  private readonly dirtyDrops = new Set<string>();
  private readonly dirtyPreOrders = new Set<string>();
  private readonly dirtyRuns = new Set<string>();
  private readonly deletedSkus = new Set<string>();
  /** Inputs of each threshold's last reorderPoint call (they rarely change between events). */
  private readonly computedFor = new Map<string, ThresholdInputs>();
  private readonly parsed = new Map<string, number>();

  constructor(private readonly serviceLevel: number) {}

  async loadDrops(context: PageContext, dropIds: string[]): Promise<void> {
    const { client, table } = context;
    const [summaries, inventory, thresholds, reasons] = [
      await client.query(`select * from ${table('rm_drop_summary')} where drop_id = any($1::text[])`, [dropIds]),
      await client.query(`select * from ${table('rm_inventory')} where drop_id = any($1::text[])`, [dropIds]),
      await client.query(`select * from ${table('rm_restock_thresholds')} where drop_id = any($1::text[])`, [dropIds]),
      await client.query(`select * from ${table('rm_returns_by_reason')} where drop_id = any($1::text[])`, [dropIds]),
    ];
    for (const r of summaries.rows) this.summaries.set(r.drop_id, summaryFromDb(r));
    for (const r of inventory.rows) this.inventory.set(key(r.drop_id, r.sku), inventoryFromDb(r));
    for (const r of thresholds.rows) this.thresholds.set(key(r.drop_id, r.sku), thresholdFromDb(r));
    for (const r of reasons.rows) this.reasons.set(key(r.drop_id, r.reason), reasonFromDb(r));
  }

  /** True when an event at `revision` of the drop's stream is past what its stored rows have applied. */
  willApply(dropId: string, revision: number): boolean {
    const summary = this.summaries.get(dropId);
    return !summary || revision > summary.lastRevision;
  }

  async loadChildren(context: PageContext, preOrderIds: string[], runIds: string[]): Promise<void> {
    const { client, table } = context;
    if (preOrderIds.length) {
      const { rows } = await client.query(`select * from ${table('rm_customer_pre_orders')} where pre_order_id = any($1::text[])`, [
        preOrderIds,
      ]);
      for (const r of rows) this.preOrders.set(r.pre_order_id, preOrderFromDb(r));
    }
    if (runIds.length) {
      const { rows } = await client.query(`select * from ${table('rm_production_runs')} where run_id = any($1::text[])`, [runIds]);
      for (const r of rows) this.runs.set(r.run_id, runFromDb(r));
    }
  }

  async write(context: PageContext): Promise<void> {
    const { client, table } = context;
    const drops = [...this.dirtyDrops];
    const mine = <R extends { dropId: string }>(rows: Map<string, R>) => [...rows.values()].filter((r) => this.dirtyDrops.has(r.dropId));
    await deleteRows(
      client,
      table('rm_inventory'),
      ['drop_id', 'sku'],
      [...this.deletedSkus].map((k) => k.split('\u0000')),
    );
    await deleteRows(
      client,
      table('rm_restock_thresholds'),
      ['drop_id', 'sku'],
      [...this.deletedSkus].map((k) => k.split('\u0000')),
    );
    await upsertRows(
      client,
      table('rm_drop_summary'),
      SUMMARY_COLUMNS,
      ['drop_id'],
      drops.map((d) => this.summaries.get(d)!),
    );
    await upsertRows(client, table('rm_inventory'), INVENTORY_COLUMNS, ['drop_id', 'sku'], mine(this.inventory));
    await upsertRows(client, table('rm_restock_thresholds'), THRESHOLD_COLUMNS, ['drop_id', 'sku'], mine(this.thresholds));
    await upsertRows(client, table('rm_returns_by_reason'), REASON_COLUMNS, ['drop_id', 'reason'], mine(this.reasons));
    await upsertRows(
      client,
      table('rm_customer_pre_orders'),
      PRE_ORDER_COLUMNS,
      ['pre_order_id'],
      [...this.dirtyPreOrders].map((id) => this.preOrders.get(id)!),
    );
    await upsertRows(
      client,
      table('rm_production_runs'),
      RUN_COLUMNS,
      ['run_id'],
      [...this.dirtyRuns].map((id) => this.runs.get(id)!),
    );
  }

  apply(recorded: RecordedEvent): void {
    const dropId = dropIdFromStreamName(recorded.streamName);
    if (!dropId) return;
    const summary = this.summaries.get(dropId);
    // The drop-level guard: every row of the drop was written with the summary, so an event
    // at or below the summary's revision has already been applied to all of them.
    if (summary && recorded.revision <= summary.lastRevision) return;
    const event = { type: recorded.type, data: upcast(recorded.type, recorded.schemaVersion, recorded.data) } as DropEvent;
    if (!summary && event.type !== 'DropScheduled') return;
    const at = recorded.metadata.occurredAt;
    if (event.type === 'DropScheduled') {
      if (summary) return;
      this.schedule(dropId, event.data.definition);
    } else {
      this.evolve(summary!, event);
    }
    const s = this.summaries.get(dropId)!;
    s.lastRevision = recorded.revision;
    if (!s.lastEventAt || Date.parse(at) > Date.parse(s.lastEventAt)) s.lastEventAt = at;
    this.dirtyDrops.add(dropId);
    this.refreshThresholds(s, at);
  }

  private schedule(dropId: string, definition: DropDefinition): void {
    this.summaries.set(dropId, {
      dropId,
      name: definition.name,
      city: definition.city ?? null,
      currency: definition.currency,
      status: 'scheduled',
      earlyAccessOpensAt: definition.earlyAccess?.opensAt ?? null,
      opensAt: definition.window.opensAt,
      closesAt: definition.window.closesAt,
      tierInForce: 0,
      unitPriceInForce: definition.priceTiers[0].unitPrice,
      unitsSold: 0,
      netUnits: 0,
      activePreOrders: 0,
      minimumOrderQuantity: definition.minimumOrderQuantity,
      revenue: 0,
      revenueByTier: {},
      revenueByChannel: {},
      definition,
      lastRevision: -1,
      lastEventAt: null,
      announced: false,
    });
    this.define(dropId, definition);
  }

  /** Creates, re-caps or removes the SKU rows after DropScheduled / DropRevised. */
  private define(dropId: string, definition: DropDefinition): void {
    const listed = new Set(definition.variants.map((v) => v.sku));
    for (const [k, row] of this.inventory) {
      if (row.dropId === dropId && !listed.has(row.sku)) {
        this.inventory.delete(k);
        this.thresholds.delete(k);
        this.deletedSkus.add(k);
      }
    }
    const start = definition.earlyAccess?.opensAt ?? definition.window.opensAt;
    for (const v of definition.variants) {
      const k = key(dropId, v.sku);
      this.deletedSkus.delete(k);
      const inv = this.inventory.get(k) ?? emptyInventory(dropId, v.sku);
      inv.editionCap = v.editionCap;
      recompute(inv);
      this.inventory.set(k, inv);
      const t = this.thresholds.get(k) ?? emptyThreshold(dropId, v.sku, this.serviceLevel);
      t.leadTimeDays = definition.production.leadTimeDays;
      t.windowStart = start;
      t.available = inv.available;
      this.thresholds.set(k, t);
    }
  }

  private evolve(s: DropSummaryRow, event: DropEvent): void {
    const dropId = s.dropId;
    switch (event.type) {
      case 'DropScheduled':
        return;
      case 'DropRevised': {
        const d = event.data.definition;
        Object.assign(s, {
          definition: d,
          name: d.name,
          city: d.city ?? null,
          currency: d.currency,
          earlyAccessOpensAt: d.earlyAccess?.opensAt ?? null,
          opensAt: d.window.opensAt,
          closesAt: d.window.closesAt,
          minimumOrderQuantity: d.minimumOrderQuantity,
        });
        s.tierInForce = tierIndexFor(d.priceTiers, s.unitsSold);
        s.unitPriceInForce = d.priceTiers[s.tierInForce].unitPrice;
        this.define(dropId, d);
        return;
      }
      case 'DropAnnounced':
        s.announced = true;
        return;
      // Opening makes a drop public whether or not ops announced it first.
      case 'EarlyAccessOpened':
        s.status = 'early-access';
        s.announced = true;
        return;
      case 'PreOrderWindowOpened':
        s.status = 'open';
        s.announced = true;
        return;
      case 'PreOrderWindowClosed':
        s.status = 'closed';
        return;
      case 'TippingPointReached':
        s.status = 'tipped';
        return;
      case 'DropCancelled':
        s.status = 'cancelled';
        return;
      case 'DropCompleted':
        s.status = 'completed';
        return;
      case 'PreOrderPlaced': {
        const d = event.data;
        if (this.preOrders.has(d.preOrderId)) return;
        this.preOrders.set(d.preOrderId, {
          preOrderId: d.preOrderId,
          customerId: d.customerId,
          dropId,
          sku: d.sku,
          quantity: d.quantity,
          channel: d.channel,
          fulfillment: d.fulfillment.method,
          locationId: d.fulfillment.method === 'pickup' ? d.fulfillment.locationId : null,
          tier: d.tier,
          unitPrice: d.unitPrice,
          total: d.total,
          currency: d.currency,
          status: 'active',
          placedAt: d.placedAt,
          cancelledAt: null,
          refundRequested: false,
          handOver: 'awaiting',
          returnId: null,
          returnReason: null,
          returnCondition: null,
          returnStatus: null,
        });
        this.dirtyPreOrders.add(d.preOrderId);
        s.unitsSold += d.quantity;
        s.netUnits += d.quantity;
        s.activePreOrders += 1;
        addRevenue(s, String(d.tier), d.channel, d.total);
        s.tierInForce = tierIndexFor(s.definition.priceTiers, s.unitsSold);
        s.unitPriceInForce = s.definition.priceTiers[s.tierInForce].unitPrice;
        const inv = this.inv(dropId, d.sku);
        inv.unitsAccepted += d.quantity;
        inv.unitsPreOrdered += d.quantity;
        recompute(inv);
        const t = this.thresholds.get(key(dropId, d.sku));
        if (t) {
          const day = String(Math.floor(Date.parse(d.placedAt) / DAY_MS));
          // Rows are fresh objects per page (loaded or created here), so mutating them in place is safe.
          t.dailySales[day] = (t.dailySales[day] ?? 0) + d.quantity;
        }
        return;
      }
      case 'PreOrderCancelled': {
        const po = this.preOrder(event.data.preOrderId);
        if (!po || po.status === 'cancelled') return;
        po.status = 'cancelled';
        po.cancelledAt = event.data.cancelledAt;
        s.netUnits -= po.quantity;
        s.activePreOrders -= 1;
        addRevenue(s, String(po.tier), po.channel, -po.total);
        const inv = this.inv(dropId, po.sku);
        inv.unitsCancelled += po.quantity;
        inv.unitsPreOrdered -= po.quantity;
        recompute(inv);
        return;
      }
      case 'RefundRequested': {
        const po = this.preOrder(event.data.preOrderId);
        if (!po || po.refundRequested) return;
        po.refundRequested = true;
        this.inv(dropId, po.sku).unitsRefunded += po.quantity;
        return;
      }
      case 'ProductionRunRequested': {
        const d = event.data;
        if (this.runs.has(d.runId)) return;
        this.runs.set(d.runId, {
          runId: d.runId,
          dropId,
          microfactoryId: d.microfactoryId,
          status: 'requested',
          unitsBySku: d.unitsBySku,
          producedBySku: null,
          rejectedBySku: null,
          requestedAt: d.requestedAt,
          startedAt: null,
          completedAt: null,
        });
        this.dirtyRuns.add(d.runId);
        for (const [sku, units] of Object.entries(d.unitsBySku)) this.inv(dropId, sku).unitsRequested += units;
        return;
      }
      case 'ProductionRunStarted': {
        const run = this.runs.get(event.data.runId);
        if (run && run.status === 'requested') {
          run.status = 'started';
          run.startedAt = event.data.startedAt;
          this.dirtyRuns.add(run.runId);
        }
        if (s.status === 'tipped') s.status = 'in-production';
        return;
      }
      case 'ProductionRunCompleted': {
        const d = event.data;
        const run = this.runs.get(d.runId);
        if (run && run.status !== 'completed') {
          run.status = 'completed';
          run.completedAt = d.completedAt;
          run.producedBySku = d.producedBySku;
          run.rejectedBySku = d.rejectedBySku;
          this.dirtyRuns.add(run.runId);
        }
        for (const [sku, units] of Object.entries(d.producedBySku)) this.inv(dropId, sku).unitsProduced += units;
        for (const [sku, units] of Object.entries(d.rejectedBySku)) this.inv(dropId, sku).unitsRejected += units;
        for (const sku of new Set([...Object.keys(d.producedBySku), ...Object.keys(d.rejectedBySku)])) recompute(this.inv(dropId, sku));
        if (s.status === 'in-production' || s.status === 'tipped') s.status = 'fulfilling';
        return;
      }
      case 'ShipmentDispatched':
        return this.handOver(dropId, event.data.preOrderId, 'dispatched', (inv, q) => (inv.unitsShipped += q));
      case 'ShipmentDelivered':
        return this.handOver(dropId, event.data.preOrderId, 'delivered', (inv, q) => (inv.unitsDelivered += q), true);
      case 'ReadyForPickup':
        return this.handOver(dropId, event.data.preOrderId, 'ready-for-pickup', () => undefined);
      case 'PreOrderPickedUp':
        return this.handOver(dropId, event.data.preOrderId, 'picked-up', (inv, q) => (inv.unitsPickedUp += q), true);
      case 'ReturnRequested': {
        const d = event.data;
        const po = this.preOrder(d.preOrderId);
        if (!po || po.returnId) return;
        Object.assign(po, { returnId: d.returnId, returnReason: d.reason, returnStatus: 'requested' });
        const r = this.reason(dropId, d.reason);
        r.returnsRequested += 1;
        r.unitsRequested += po.quantity;
        const t = this.thresholds.get(key(dropId, po.sku));
        if (t) {
          const prev = t.returnsByReason[d.reason]?.units ?? 0;
          t.returnsByReason[d.reason] = { units: prev + po.quantity, rate: 0 };
        }
        return;
      }
      case 'ReturnReceived': {
        const d = event.data;
        const po = this.preOrder(d.preOrderId);
        if (!po || po.returnStatus !== 'requested') return;
        po.returnStatus = 'received';
        po.returnCondition = d.condition;
        const inv = this.inv(dropId, po.sku);
        const r = this.reason(dropId, po.returnReason ?? 'other');
        if (d.condition === 'restockable') {
          inv.unitsReturnedRestockable += po.quantity;
          r.unitsReceivedRestockable += po.quantity;
        } else {
          inv.unitsReturnedNotRestockable += po.quantity;
          r.unitsReceivedNotRestockable += po.quantity;
        }
        recompute(inv);
        return;
      }
      case 'ReturnRefunded': {
        const d = event.data;
        const po = this.preOrder(d.preOrderId);
        if (!po || po.returnStatus === 'refunded' || !po.returnId) return;
        po.returnStatus = 'refunded';
        this.inv(dropId, po.sku).unitsRefunded += po.quantity;
        const r = this.reason(dropId, po.returnReason ?? 'other');
        r.returnsRefunded += 1;
        r.amountRefunded += d.amount;
        return;
      }
      case 'VariantSoldOut':
      case 'DropSoldOut':
      case 'PaymentAuthorized':
      case 'PaymentCaptured':
      case 'PaymentFailed':
      case 'PaymentRefunded':
        return;
      default: {
        const never: never = event;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  private handOver(
    dropId: string,
    preOrderId: string,
    to: string,
    count: (inv: InventoryRow, quantity: number) => void,
    handedOver = false,
  ): void {
    const po = this.preOrder(preOrderId);
    if (!po || po.handOver === to) return;
    po.handOver = to;
    const inv = this.inv(dropId, po.sku);
    count(inv, po.quantity);
    recompute(inv);
    if (handedOver) {
      const t = this.thresholds.get(key(dropId, po.sku));
      if (t) t.unitsHandedOver += po.quantity;
    }
  }

  private preOrder(preOrderId: string): PreOrderRow | undefined {
    const po = this.preOrders.get(preOrderId);
    if (po) this.dirtyPreOrders.add(preOrderId);
    return po;
  }

  private inv(dropId: string, sku: string): InventoryRow {
    const k = key(dropId, sku);
    let row = this.inventory.get(k);
    if (!row) this.inventory.set(k, (row = emptyInventory(dropId, sku)));
    return row;
  }

  private reason(dropId: string, reason: string): ReturnsByReasonRow {
    const k = key(dropId, reason);
    let row = this.reasons.get(k);
    if (!row) {
      row = {
        dropId,
        reason,
        returnsRequested: 0,
        unitsRequested: 0,
        unitsReceivedRestockable: 0,
        unitsReceivedNotRestockable: 0,
        returnsRefunded: 0,
        amountRefunded: 0,
      };
      this.reasons.set(k, row);
    }
    return row;
  }

  /**
   * Recomputes each SKU's reorder point as of `at` and counts a crossing when available stock
   * goes from above the reorder point to at or below it. Runs after every event so the count
   * does not depend on page boundaries (a rebuild must give the same rows as live processing).
   */
  private refreshThresholds(s: DropSummaryRow, at: string): void {
    const atMs = Date.parse(at);
    const closesMs = this.ms(s.closesAt);
    for (const v of s.definition.variants) {
      const k = key(s.dropId, v.sku);
      const t = this.thresholds.get(k);
      const inv = this.inventory.get(k);
      if (!t || !inv) continue;
      const startMs = this.ms(t.windowStart);
      const endMs = Math.min(closesMs, atMs + 1);
      const firstDay = Math.floor(startMs / DAY_MS);
      const lastDay = endMs > startMs ? Math.floor((endMs - 1) / DAY_MS) : firstDay - 1;
      const restockable = inv.unitsReturnedRestockable;
      const rate = t.unitsHandedOver > 0 ? Math.min(1, restockable / t.unitsHandedOver) : 0;
      // Daily sales only ever grow with units accepted, so that count stands in for the whole
      // series. Compared field by field: this runs for every SKU after every event.
      let inputs = this.computedFor.get(k);
      if (
        !inputs ||
        inputs.firstDay !== firstDay ||
        inputs.lastDay !== lastDay ||
        inputs.unitsAccepted !== inv.unitsAccepted ||
        inputs.rate !== rate ||
        inputs.leadTimeDays !== t.leadTimeDays ||
        inputs.windowStart !== t.windowStart ||
        inputs.unitsHandedOver !== t.unitsHandedOver
      ) {
        inputs = {
          firstDay,
          lastDay,
          unitsAccepted: inv.unitsAccepted,
          rate,
          leadTimeDays: t.leadTimeDays,
          windowStart: t.windowStart,
          unitsHandedOver: t.unitsHandedOver,
        };
        this.computedFor.set(k, inputs);
        // Restockable returns come back to stock, so only (1 − rate) of each day's sales is net demand on it.
        const dailyUnits: number[] = [];
        for (let day = firstDay; day <= lastDay; day++) dailyUnits.push((t.dailySales[String(day)] ?? 0) * (1 - rate));
        const result = reorderPoint({ dailyUnits, leadTimeDays: t.leadTimeDays, serviceLevel: t.serviceLevel });
        t.dailyUnits = result.dailyUnits;
        t.windowEnd = endMs > startMs ? new Date(endMs).toISOString() : null;
        t.restockableReturnRate = rate;
        t.meanDailyUnits = result.meanDailyUnits;
        t.stdDevDailyUnits = result.stdDevDailyUnits;
        t.z = result.z;
        t.safetyStock = result.safetyStock;
        t.reorderPoint = result.reorderPoint;
      }
      for (const reason in t.returnsByReason) {
        const r = t.returnsByReason[reason];
        r.rate = t.unitsHandedOver > 0 ? r.units / t.unitsHandedOver : 0;
      }
      t.available = inv.available;
      const above = t.available > t.reorderPoint;
      if (t.aboveReorderPoint && !above) {
        t.crossings += 1;
        t.lastCrossingAt = at;
      }
      t.aboveReorderPoint = above;
    }
  }

  /** Date.parse of the few instants every event of a drop refers to (window close, window start). */
  private ms(instant: string): number {
    let value = this.parsed.get(instant);
    if (value === undefined) this.parsed.set(instant, (value = Date.parse(instant)));
    return value;
  }
}

function addRevenue(s: DropSummaryRow, tier: string, channel: string, amount: number): void {
  s.revenue += amount;
  s.revenueByTier[tier] = (s.revenueByTier[tier] ?? 0) + amount;
  s.revenueByChannel[channel] = (s.revenueByChannel[channel] ?? 0) + amount;
}

function emptyInventory(dropId: string, sku: string): InventoryRow {
  return {
    dropId,
    sku,
    editionCap: 0,
    unitsAccepted: 0,
    unitsCancelled: 0,
    unitsPreOrdered: 0,
    unitsRefunded: 0,
    unitsRequested: 0,
    unitsProduced: 0,
    unitsRejected: 0,
    unitsShipped: 0,
    unitsPickedUp: 0,
    unitsDelivered: 0,
    unitsReturnedRestockable: 0,
    unitsReturnedNotRestockable: 0,
    available: 0,
    onHand: 0,
  };
}

function emptyThreshold(dropId: string, sku: string, serviceLevel: number): RestockThresholdRow {
  return {
    dropId,
    sku,
    leadTimeDays: 0,
    serviceLevel,
    windowStart: '',
    windowEnd: null,
    dailySales: {},
    dailyUnits: [],
    unitsHandedOver: 0,
    returnsByReason: {},
    restockableReturnRate: 0,
    meanDailyUnits: 0,
    stdDevDailyUnits: 0,
    z: 0,
    safetyStock: 0,
    reorderPoint: 0,
    available: 0,
    aboveReorderPoint: true,
    crossings: 0,
    lastCrossingAt: null,
  };
}

/** available = cap − net pre-ordered + restockable returns; on hand = produced − rejected − shipped − picked up + restockable returns. */
function recompute(inv: InventoryRow): void {
  inv.available = inv.editionCap - inv.unitsPreOrdered + inv.unitsReturnedRestockable;
  inv.onHand = inv.unitsProduced - inv.unitsRejected - inv.unitsShipped - inv.unitsPickedUp + inv.unitsReturnedRestockable;
}
