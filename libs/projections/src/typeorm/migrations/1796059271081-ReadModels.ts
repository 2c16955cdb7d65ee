import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReadModels1796059271081 implements MigrationInterface {
  name = 'ReadModels1796059271081';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "rm_projection_checkpoints" (
                "projection" text NOT NULL,
                "position" text,
                "events_processed" bigint NOT NULL DEFAULT '0',
                "last_event_at" TIMESTAMP WITH TIME ZONE,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "rm_projection_checkpoints_pkey" PRIMARY KEY ("projection")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_projection_rebuilds" (
                "projection" text NOT NULL,
                "status" text NOT NULL,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "started_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                "events_done" bigint NOT NULL DEFAULT '0',
                "events_total" bigint,
                "events_per_second" double precision,
                "eta_seconds" double precision,
                "error" text,
                CONSTRAINT "rm_projection_rebuilds_pkey" PRIMARY KEY ("projection")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_drop_summary" (
                "drop_id" text NOT NULL,
                "name" text NOT NULL,
                "city" text,
                "currency" text NOT NULL,
                "status" text NOT NULL,
                "early_access_opens_at" TIMESTAMP WITH TIME ZONE,
                "opens_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "closes_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "tier_in_force" integer NOT NULL,
                "unit_price_in_force" bigint NOT NULL,
                "units_sold" integer NOT NULL,
                "net_units" integer NOT NULL,
                "active_pre_orders" integer NOT NULL,
                "minimum_order_quantity" integer NOT NULL,
                "revenue" bigint NOT NULL,
                "revenue_by_tier" jsonb NOT NULL,
                "revenue_by_channel" jsonb NOT NULL,
                "definition" jsonb NOT NULL,
                "last_revision" integer NOT NULL,
                "last_event_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "rm_drop_summary_pkey" PRIMARY KEY ("drop_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "rm_drop_summary_status_city" ON "rm_drop_summary" ("status", "city")
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_inventory" (
                "drop_id" text NOT NULL,
                "sku" text NOT NULL,
                "edition_cap" integer NOT NULL,
                "units_accepted" integer NOT NULL,
                "units_cancelled" integer NOT NULL,
                "units_pre_ordered" integer NOT NULL,
                "units_refunded" integer NOT NULL,
                "units_requested" integer NOT NULL,
                "units_produced" integer NOT NULL,
                "units_rejected" integer NOT NULL,
                "units_shipped" integer NOT NULL,
                "units_picked_up" integer NOT NULL,
                "units_delivered" integer NOT NULL,
                "units_returned_restockable" integer NOT NULL,
                "units_returned_not_restockable" integer NOT NULL,
                "available" integer NOT NULL,
                "on_hand" integer NOT NULL,
                CONSTRAINT "rm_inventory_pkey" PRIMARY KEY ("drop_id", "sku")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_customer_pre_orders" (
                "pre_order_id" text NOT NULL,
                "customer_id" text NOT NULL,
                "drop_id" text NOT NULL,
                "sku" text NOT NULL,
                "quantity" integer NOT NULL,
                "channel" text NOT NULL,
                "fulfillment" text NOT NULL,
                "location_id" text,
                "tier" integer NOT NULL,
                "unit_price" bigint NOT NULL,
                "total" bigint NOT NULL,
                "currency" text NOT NULL,
                "status" text NOT NULL,
                "placed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "cancelled_at" TIMESTAMP WITH TIME ZONE,
                "refund_requested" boolean NOT NULL,
                "hand_over" text NOT NULL,
                "return_id" text,
                "return_reason" text,
                "return_condition" text,
                "return_status" text,
                CONSTRAINT "rm_customer_pre_orders_pkey" PRIMARY KEY ("pre_order_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "rm_customer_pre_orders_drop" ON "rm_customer_pre_orders" ("drop_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "rm_customer_pre_orders_customer" ON "rm_customer_pre_orders" ("customer_id", "placed_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_production_runs" (
                "run_id" text NOT NULL,
                "drop_id" text NOT NULL,
                "microfactory_id" text NOT NULL,
                "status" text NOT NULL,
                "units_by_sku" jsonb NOT NULL,
                "produced_by_sku" jsonb,
                "rejected_by_sku" jsonb,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "started_at" TIMESTAMP WITH TIME ZONE,
                "completed_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "rm_production_runs_pkey" PRIMARY KEY ("run_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "rm_production_runs_drop" ON "rm_production_runs" ("drop_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_returns_by_reason" (
                "drop_id" text NOT NULL,
                "reason" text NOT NULL,
                "returns_requested" integer NOT NULL,
                "units_requested" integer NOT NULL,
                "units_received_restockable" integer NOT NULL,
                "units_received_not_restockable" integer NOT NULL,
                "returns_refunded" integer NOT NULL,
                "amount_refunded" bigint NOT NULL,
                CONSTRAINT "rm_returns_by_reason_pkey" PRIMARY KEY ("drop_id", "reason")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_restock_thresholds" (
                "drop_id" text NOT NULL,
                "sku" text NOT NULL,
                "lead_time_days" integer NOT NULL,
                "service_level" double precision NOT NULL,
                "window_start" TIMESTAMP WITH TIME ZONE NOT NULL,
                "window_end" TIMESTAMP WITH TIME ZONE,
                "daily_sales" jsonb NOT NULL,
                "daily_units" jsonb NOT NULL,
                "units_handed_over" integer NOT NULL,
                "returns_by_reason" jsonb NOT NULL,
                "restockable_return_rate" double precision NOT NULL,
                "mean_daily_units" double precision NOT NULL,
                "std_dev_daily_units" double precision NOT NULL,
                "z" double precision NOT NULL,
                "safety_stock" double precision NOT NULL,
                "reorder_point" double precision NOT NULL,
                "available" integer NOT NULL,
                "above_reorder_point" boolean NOT NULL,
                "crossings" integer NOT NULL,
                "last_crossing_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "rm_restock_thresholds_pkey" PRIMARY KEY ("drop_id", "sku")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "rm_restock_reactor" (
                "drop_id" text NOT NULL,
                "sku" text NOT NULL,
                "crossings_emitted" integer NOT NULL,
                CONSTRAINT "rm_restock_reactor_pkey" PRIMARY KEY ("drop_id", "sku")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "rm_restock_reactor"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_restock_thresholds"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_returns_by_reason"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."rm_production_runs_drop"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_production_runs"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."rm_customer_pre_orders_customer"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."rm_customer_pre_orders_drop"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_customer_pre_orders"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_inventory"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."rm_drop_summary_status_city"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_drop_summary"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_projection_rebuilds"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_projection_checkpoints"
        `);
  }
}
