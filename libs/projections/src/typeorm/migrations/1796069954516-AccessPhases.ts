import { MigrationInterface, QueryRunner } from 'typeorm';

export class AccessPhases1796069954516 implements MigrationInterface {
  name = 'AccessPhases1796069954516';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary"
            ADD "open_phase" text
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary"
            ADD "on_sell_out" text NOT NULL DEFAULT 'stay-open'
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary"
            ADD "sold_out" boolean NOT NULL DEFAULT false
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary"
            ADD "members" integer NOT NULL DEFAULT '0'
        `);
    // Added by hand after generation: rows written before the columns existed. Their drops were
    // scheduled before access phases, so their only phases are the `earlyAccess` shorthand's
    // (`early-access`) and the public window (`public`), nobody is a member, and a drop is sold out
    // when its net units reach the sum of its caps. A rebuild of the projection gives the same
    // values from the events.
    await queryRunner.query(`
            UPDATE "rm_drop_summary" SET
              "open_phase" = CASE "status" WHEN 'early-access' THEN 'early-access' WHEN 'open' THEN 'public' END,
              "on_sell_out" = COALESCE("definition"->>'onSellOut', 'stay-open'),
              "sold_out" = "net_units" >= (
                SELECT COALESCE(SUM((v->>'editionCap')::int), 0) FROM jsonb_array_elements("definition"->'variants') AS v
              )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary" DROP COLUMN "members"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary" DROP COLUMN "sold_out"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary" DROP COLUMN "on_sell_out"
        `);
    await queryRunner.query(`
            ALTER TABLE "rm_drop_summary" DROP COLUMN "open_phase"
        `);
  }
}
