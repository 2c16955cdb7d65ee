import { MigrationInterface, QueryRunner } from 'typeorm';

export class RestockReactorState1796062869769 implements MigrationInterface {
  name = 'RestockReactorState1796062869769';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "rm_restock_reactor_pre_orders" (
                "pre_order_id" text NOT NULL,
                "drop_id" text NOT NULL,
                "sku" text NOT NULL,
                "quantity" integer NOT NULL,
                "status" text NOT NULL,
                "refund_requested" boolean NOT NULL,
                "hand_over" text NOT NULL,
                "return_id" text,
                "return_reason" text,
                "return_status" text,
                CONSTRAINT "rm_restock_reactor_pre_orders_pkey" PRIMARY KEY ("pre_order_id")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor"
            ADD "last_revision" integer NOT NULL DEFAULT '-1'
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor"
            ADD "closes_at" TIMESTAMP WITH TIME ZONE
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor"
            ADD "inventory" jsonb
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor"
            ADD "threshold" jsonb
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor" DROP COLUMN "threshold"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor" DROP COLUMN "inventory"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor" DROP COLUMN "closes_at"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor" DROP COLUMN "last_revision"
        `);
    await queryRunner.query(`
            DROP TABLE "rm_restock_reactor_pre_orders"
        `);
  }
}
