import { MigrationInterface, QueryRunner } from 'typeorm';

export class CausationIds1796064162116 implements MigrationInterface {
  name = 'CausationIds1796064162116';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_restock_thresholds"
            ADD "last_crossing_event_id" text
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_thresholds"
            ADD "last_crossing_correlation_id" text
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor"
            ADD "crossing_causes" jsonb
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_restock_reactor" DROP COLUMN "crossing_causes"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_thresholds" DROP COLUMN "last_crossing_correlation_id"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_restock_thresholds" DROP COLUMN "last_crossing_event_id"
        `);
  }
}
