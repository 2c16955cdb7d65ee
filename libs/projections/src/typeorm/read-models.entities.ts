import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

// The read-model tables, described once. Migrations are generated from these classes
// (`npm run migrations:generate -- <Name>`, docs/read-models.md "Changing a read model's schema")
// and a test fails when the two drift (read-models.schema.int-spec.ts). Every constraint and
// index is named explicitly, with the names PostgreSQL's own defaults gave the tables before the
// migrations existed (`<table>_pkey`): a projection rebuild copies a table's indexes under
// `<name>_rebuild` and renames them back at the swap, and databases created by the old
// hand-written DDL are adopted as they are (read-models.data-source.ts).
//
// The projections write these tables with set-based SQL (one multi-row upsert per table per page,
// libs/projections/src/upsert.ts) on the same connection; nothing writes them through repositories.

/** Live checkpoint of each projection (the rows a projection page commits with). */
@Entity({ name: 'rm_projection_checkpoints' })
export class ProjectionCheckpointEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_projection_checkpoints_pkey' }) projection!: string;
  @Column('text', { nullable: true }) position!: string | null;
  @Column('bigint', { name: 'events_processed', default: 0 }) eventsProcessed!: string;
  @Column('timestamptz', { name: 'last_event_at', nullable: true }) lastEventAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}

/** A rebuild request and its progress: written by the CLI/admin route (request) and the lease holder (progress). */
@Entity({ name: 'rm_projection_rebuilds' })
export class ProjectionRebuildEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_projection_rebuilds_pkey' }) projection!: string;
  @Column('text') status!: string;
  @Column('timestamptz', { name: 'requested_at', default: () => 'now()' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column('bigint', { name: 'events_done', default: 0 }) eventsDone!: string;
  @Column('bigint', { name: 'events_total', nullable: true }) eventsTotal!: string | null;
  @Column('double precision', { name: 'events_per_second', nullable: true }) eventsPerSecond!: number | null;
  @Column('double precision', { name: 'eta_seconds', nullable: true }) etaSeconds!: number | null;
  @Column('text', { nullable: true }) error!: string | null;
}

@Entity({ name: 'rm_drop_summary' })
@Index('rm_drop_summary_status_city', ['status', 'city'])
export class DropSummaryEntity {
  @PrimaryColumn('text', { name: 'drop_id', primaryKeyConstraintName: 'rm_drop_summary_pkey' }) dropId!: string;
  @Column('text') name!: string;
  @Column('text', { nullable: true }) city!: string | null;
  @Column('text') currency!: string;
  @Column('text') status!: string;
  @Column('timestamptz', { name: 'early_access_opens_at', nullable: true }) earlyAccessOpensAt!: Date | null;
  @Column('timestamptz', { name: 'opens_at' }) opensAt!: Date;
  @Column('timestamptz', { name: 'closes_at' }) closesAt!: Date;
  @Column('int', { name: 'tier_in_force' }) tierInForce!: number;
  @Column('bigint', { name: 'unit_price_in_force' }) unitPriceInForce!: string;
  @Column('int', { name: 'units_sold' }) unitsSold!: number;
  @Column('int', { name: 'net_units' }) netUnits!: number;
  @Column('int', { name: 'active_pre_orders' }) activePreOrders!: number;
  @Column('int', { name: 'minimum_order_quantity' }) minimumOrderQuantity!: number;
  @Column('bigint') revenue!: string;
  @Column('jsonb', { name: 'revenue_by_tier' }) revenueByTier!: Record<string, number>;
  @Column('jsonb', { name: 'revenue_by_channel' }) revenueByChannel!: Record<string, number>;
  @Column('jsonb') definition!: Record<string, unknown>;
  @Column('int', { name: 'last_revision' }) lastRevision!: number;
  @Column('timestamptz', { name: 'last_event_at', nullable: true }) lastEventAt!: Date | null;
  /** DropAnnounced, an opening (EarlyAccessOpened, AccessPhaseOpened) or PreOrderWindowOpened was applied: anonymous callers may see the drop. */
  @Column('boolean', { default: false }) announced!: boolean;
  /** Name of the access phase open now (the public window's when it is open); null before the first opens and once the window closed. */
  @Column('text', { name: 'open_phase', nullable: true }) openPhase!: string | null;
  /** definition.onSellOut: `stay-open` (the default) or `close`. */
  @Column('text', { name: 'on_sell_out', default: 'stay-open' }) onSellOut!: string;
  /** Every SKU's units are pre-ordered (net units = the sum of the edition caps). */
  @Column('boolean', { name: 'sold_out', default: false }) soldOut!: boolean;
  /** Customers granted members access (DropMembersAdded − DropMembersRemoved; ids stay in the stream, never here). */
  @Column('int', { default: 0 }) members!: number;
}

@Entity({ name: 'rm_inventory' })
export class InventoryEntity {
  @PrimaryColumn('text', { name: 'drop_id', primaryKeyConstraintName: 'rm_inventory_pkey' }) dropId!: string;
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_inventory_pkey' }) sku!: string;
  @Column('int', { name: 'edition_cap' }) editionCap!: number;
  @Column('int', { name: 'units_accepted' }) unitsAccepted!: number;
  @Column('int', { name: 'units_cancelled' }) unitsCancelled!: number;
  @Column('int', { name: 'units_pre_ordered' }) unitsPreOrdered!: number;
  @Column('int', { name: 'units_refunded' }) unitsRefunded!: number;
  @Column('int', { name: 'units_requested' }) unitsRequested!: number;
  @Column('int', { name: 'units_produced' }) unitsProduced!: number;
  @Column('int', { name: 'units_rejected' }) unitsRejected!: number;
  @Column('int', { name: 'units_shipped' }) unitsShipped!: number;
  @Column('int', { name: 'units_picked_up' }) unitsPickedUp!: number;
  @Column('int', { name: 'units_delivered' }) unitsDelivered!: number;
  @Column('int', { name: 'units_returned_restockable' }) unitsReturnedRestockable!: number;
  @Column('int', { name: 'units_returned_not_restockable' }) unitsReturnedNotRestockable!: number;
  @Column('int') available!: number;
  @Column('int', { name: 'on_hand' }) onHand!: number;
}

@Entity({ name: 'rm_customer_pre_orders' })
@Index('rm_customer_pre_orders_customer', ['customerId', 'placedAt'])
@Index('rm_customer_pre_orders_drop', ['dropId'])
export class CustomerPreOrderEntity {
  @PrimaryColumn('text', { name: 'pre_order_id', primaryKeyConstraintName: 'rm_customer_pre_orders_pkey' }) preOrderId!: string;
  @Column('text', { name: 'customer_id' }) customerId!: string;
  @Column('text', { name: 'drop_id' }) dropId!: string;
  @Column('text') sku!: string;
  @Column('int') quantity!: number;
  @Column('text') channel!: string;
  @Column('text') fulfillment!: string;
  @Column('text', { name: 'location_id', nullable: true }) locationId!: string | null;
  @Column('int') tier!: number;
  @Column('bigint', { name: 'unit_price' }) unitPrice!: string;
  @Column('bigint') total!: string;
  @Column('text') currency!: string;
  @Column('text') status!: string;
  @Column('timestamptz', { name: 'placed_at' }) placedAt!: Date;
  @Column('timestamptz', { name: 'cancelled_at', nullable: true }) cancelledAt!: Date | null;
  @Column('boolean', { name: 'refund_requested' }) refundRequested!: boolean;
  @Column('text', { name: 'hand_over' }) handOver!: string;
  @Column('text', { name: 'return_id', nullable: true }) returnId!: string | null;
  @Column('text', { name: 'return_reason', nullable: true }) returnReason!: string | null;
  @Column('text', { name: 'return_condition', nullable: true }) returnCondition!: string | null;
  @Column('text', { name: 'return_status', nullable: true }) returnStatus!: string | null;
}

@Entity({ name: 'rm_production_runs' })
@Index('rm_production_runs_drop', ['dropId'])
export class ProductionRunEntity {
  @PrimaryColumn('text', { name: 'run_id', primaryKeyConstraintName: 'rm_production_runs_pkey' }) runId!: string;
  @Column('text', { name: 'drop_id' }) dropId!: string;
  @Column('text', { name: 'microfactory_id' }) microfactoryId!: string;
  @Column('text') status!: string;
  @Column('jsonb', { name: 'units_by_sku' }) unitsBySku!: Record<string, number>;
  @Column('jsonb', { name: 'produced_by_sku', nullable: true }) producedBySku!: Record<string, number> | null;
  @Column('jsonb', { name: 'rejected_by_sku', nullable: true }) rejectedBySku!: Record<string, number> | null;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
}

@Entity({ name: 'rm_returns_by_reason' })
export class ReturnsByReasonEntity {
  @PrimaryColumn('text', { name: 'drop_id', primaryKeyConstraintName: 'rm_returns_by_reason_pkey' }) dropId!: string;
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_returns_by_reason_pkey' }) reason!: string;
  @Column('int', { name: 'returns_requested' }) returnsRequested!: number;
  @Column('int', { name: 'units_requested' }) unitsRequested!: number;
  @Column('int', { name: 'units_received_restockable' }) unitsReceivedRestockable!: number;
  @Column('int', { name: 'units_received_not_restockable' }) unitsReceivedNotRestockable!: number;
  @Column('int', { name: 'returns_refunded' }) returnsRefunded!: number;
  @Column('bigint', { name: 'amount_refunded' }) amountRefunded!: string;
}

@Entity({ name: 'rm_restock_thresholds' })
export class RestockThresholdEntity {
  @PrimaryColumn('text', { name: 'drop_id', primaryKeyConstraintName: 'rm_restock_thresholds_pkey' }) dropId!: string;
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_restock_thresholds_pkey' }) sku!: string;
  @Column('int', { name: 'lead_time_days' }) leadTimeDays!: number;
  @Column('double precision', { name: 'service_level' }) serviceLevel!: number;
  @Column('timestamptz', { name: 'window_start' }) windowStart!: Date;
  @Column('timestamptz', { name: 'window_end', nullable: true }) windowEnd!: Date | null;
  @Column('jsonb', { name: 'daily_sales' }) dailySales!: Record<string, number>;
  @Column('jsonb', { name: 'daily_units' }) dailyUnits!: number[];
  @Column('int', { name: 'units_handed_over' }) unitsHandedOver!: number;
  @Column('jsonb', { name: 'returns_by_reason' }) returnsByReason!: Record<string, { units: number; rate: number }>;
  @Column('double precision', { name: 'restockable_return_rate' }) restockableReturnRate!: number;
  @Column('double precision', { name: 'mean_daily_units' }) meanDailyUnits!: number;
  @Column('double precision', { name: 'std_dev_daily_units' }) stdDevDailyUnits!: number;
  @Column('double precision') z!: number;
  @Column('double precision', { name: 'safety_stock' }) safetyStock!: number;
  @Column('double precision', { name: 'reorder_point' }) reorderPoint!: number;
  @Column('int') available!: number;
  @Column('boolean', { name: 'above_reorder_point' }) aboveReorderPoint!: boolean;
  @Column('int') crossings!: number;
  @Column('timestamptz', { name: 'last_crossing_at', nullable: true }) lastCrossingAt!: Date | null;
  @Column('text', { name: 'last_crossing_event_id', nullable: true }) lastCrossingEventId!: string | null;
  @Column('text', { name: 'last_crossing_correlation_id', nullable: true }) lastCrossingCorrelationId!: string | null;
}

/**
 * The restock reactor's own state of one (drop, SKU), folded from the log by the reactor (not a
 * read model of a projection): never rebuilt, so a rebuild cannot make it emit a recommendation twice.
 */
@Entity({ name: 'rm_restock_reactor' })
export class RestockReactorEntity {
  @PrimaryColumn('text', { name: 'drop_id', primaryKeyConstraintName: 'rm_restock_reactor_pkey' }) dropId!: string;
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rm_restock_reactor_pkey' }) sku!: string;
  @Column('int', { name: 'crossings_emitted' }) crossingsEmitted!: number;
  @Column('int', { name: 'last_revision', default: -1 }) lastRevision!: number;
  @Column('timestamptz', { name: 'closes_at', nullable: true }) closesAt!: Date | null;
  @Column('jsonb', { nullable: true }) inventory!: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) threshold!: Record<string, unknown> | null;
  @Column('jsonb', { name: 'crossing_causes', nullable: true }) crossingCauses!: Record<
    string,
    { eventId: string; correlationId: string }
  > | null;
}

/** The restock reactor's facts of one pre-order (delivery and return events name a pre-order, not its SKU). */
@Entity({ name: 'rm_restock_reactor_pre_orders' })
export class RestockReactorPreOrderEntity {
  @PrimaryColumn('text', { name: 'pre_order_id', primaryKeyConstraintName: 'rm_restock_reactor_pre_orders_pkey' }) preOrderId!: string;
  @Column('text', { name: 'drop_id' }) dropId!: string;
  @Column('text') sku!: string;
  @Column('int') quantity!: number;
  @Column('text') status!: string;
  @Column('boolean', { name: 'refund_requested' }) refundRequested!: boolean;
  @Column('text', { name: 'hand_over' }) handOver!: string;
  @Column('text', { name: 'return_id', nullable: true }) returnId!: string | null;
  @Column('text', { name: 'return_reason', nullable: true }) returnReason!: string | null;
  @Column('text', { name: 'return_status', nullable: true }) returnStatus!: string | null;
}

/** Every read-model table (rm_*): what the migrations are generated from and checked against. */
export const READ_MODEL_ENTITIES = [
  ProjectionCheckpointEntity,
  ProjectionRebuildEntity,
  DropSummaryEntity,
  InventoryEntity,
  CustomerPreOrderEntity,
  ProductionRunEntity,
  ReturnsByReasonEntity,
  RestockThresholdEntity,
  RestockReactorEntity,
  RestockReactorPreOrderEntity,
];
