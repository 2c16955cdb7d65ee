import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddDropSummaryAnnounced1796062344659 implements MigrationInterface {
  name = 'AddDropSummaryAnnounced1796062344659';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary"
            ADD "announced" boolean NOT NULL DEFAULT false
        `);
    // Added by hand after generation: rows written before the column existed. A drop that opened
    // (any status past scheduled, or cancelled after it sold) was public; a rebuild of the
    // projection gives the exact value from DropAnnounced / EarlyAccessOpened / PreOrderWindowOpened.
    await queryRunner.query(`
            UPDATE "rm_drop_summary" SET "announced" = true
            WHERE "status" NOT IN ('scheduled', 'cancelled') OR ("status" = 'cancelled' AND "units_sold" > 0)
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary" DROP COLUMN "announced"
        `);
  }
}
