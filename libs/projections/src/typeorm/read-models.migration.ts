import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Path of the read-model DDL; the PGlite test template applies the same file directly. */
export const READ_MODELS_SQL_PATH = path.join(__dirname, '..', 'sql', 'read-models.sql');

/** The read-model tables (idempotent DDL, so it is safe over a template that already has them). */
export class ReadModels1733000000000 implements MigrationInterface {
  name = 'ReadModels1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(readFileSync(READ_MODELS_SQL_PATH, 'utf8'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const t of [
      'rm_restock_reactor_pre_orders',
      'rm_restock_reactor',
      'rm_restock_thresholds',
      'rm_returns_by_reason',
      'rm_production_runs',
      'rm_customer_pre_orders',
      'rm_inventory',
      'rm_drop_summary',
      'rm_projection_rebuilds',
      'rm_projection_checkpoints',
    ]) {
      await queryRunner.query(`drop table if exists ${t}`);
    }
  }
}
