import { Column, Entity, PrimaryColumn } from 'typeorm';

// TypeORM entities of the read-model tables the HTTP routes read. The projection writes them
// with multi-row SQL upserts (one round trip per table per page), not through repositories.

@Entity({ name: 'rm_projection_checkpoints' })
export class ProjectionCheckpointEntity {
  @PrimaryColumn('text') projection!: string;
  @Column('text', { nullable: true }) position!: string | null;
  @Column('bigint', { name: 'events_processed' }) eventsProcessed!: string;
  @Column('timestamptz', { name: 'last_event_at', nullable: true }) lastEventAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'rm_drop_summary' })
export class DropSummaryEntity {
  @PrimaryColumn('text', { name: 'drop_id' }) dropId!: string;
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
}

@Entity({ name: 'rm_inventory' })
export class InventoryEntity {
  @PrimaryColumn('text', { name: 'drop_id' }) dropId!: string;
  @PrimaryColumn('text') sku!: string;
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
export class CustomerPreOrderEntity {
  @PrimaryColumn('text', { name: 'pre_order_id' }) preOrderId!: string;
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
export class ProductionRunEntity {
  @PrimaryColumn('text', { name: 'run_id' }) runId!: string;
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
  @PrimaryColumn('text', { name: 'drop_id' }) dropId!: string;
  @PrimaryColumn('text') reason!: string;
  @Column('int', { name: 'returns_requested' }) returnsRequested!: number;
  @Column('int', { name: 'units_requested' }) unitsRequested!: number;
  @Column('int', { name: 'units_received_restockable' }) unitsReceivedRestockable!: number;
  @Column('int', { name: 'units_received_not_restockable' }) unitsReceivedNotRestockable!: number;
  @Column('int', { name: 'returns_refunded' }) returnsRefunded!: number;
  @Column('bigint', { name: 'amount_refunded' }) amountRefunded!: string;
}

@Entity({ name: 'rm_restock_thresholds' })
export class RestockThresholdEntity {
  @PrimaryColumn('text', { name: 'drop_id' }) dropId!: string;
  @PrimaryColumn('text') sku!: string;
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
}

/** The restock reactor's own state of one (drop, SKU): not a read model, never rebuilt. */
@Entity({ name: 'rm_restock_reactor' })
export class RestockReactorEntity {
  @PrimaryColumn('text', { name: 'drop_id' }) dropId!: string;
  @PrimaryColumn('text') sku!: string;
  @Column('int', { name: 'crossings_emitted' }) crossingsEmitted!: number;
  @Column('int', { name: 'last_revision', default: -1 }) lastRevision!: number;
  @Column('timestamptz', { name: 'closes_at', nullable: true }) closesAt!: Date | null;
  @Column('jsonb', { nullable: true }) inventory!: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) threshold!: Record<string, unknown> | null;
}

/** The restock reactor's facts of one pre-order. */
@Entity({ name: 'rm_restock_reactor_pre_orders' })
export class RestockReactorPreOrderEntity {
  @PrimaryColumn('text', { name: 'pre_order_id' }) preOrderId!: string;
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

export const READ_MODEL_ENTITIES = [
  ProjectionCheckpointEntity,
  DropSummaryEntity,
  InventoryEntity,
  CustomerPreOrderEntity,
  ProductionRunEntity,
  ReturnsByReasonEntity,
  RestockThresholdEntity,
  RestockReactorEntity,
  RestockReactorPreOrderEntity,
];
