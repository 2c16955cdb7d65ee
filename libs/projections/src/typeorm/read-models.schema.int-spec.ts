import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { Column, Entity, getMetadataArgsStorage, Index, type MigrationInterface, type QueryRunner } from 'typeorm';
import { warnOfLockWaits, type EmbeddedDatabase } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../../test/support/postgres';
import { DropSummaryEntity, ProductionRunEntity, READ_MODEL_ENTITIES } from './read-models.entities';
import { READ_MODEL_MIGRATIONS } from './read-models.migrations';
import {
  migrateReadModels,
  openReadModels,
  pendingReadModelSchemaChanges,
  READ_MODEL_MIGRATIONS_TABLE,
  readModelsDataSource,
} from './read-models.data-source';
import { within } from '../../../../test/support/timing';

// Entities and generated migrations are two descriptions of one schema only until someone edits
// one without the other: these tests fail CI when they drift (docs/read-models.md).

const PRE_MIGRATIONS_SQL = readFileSync(path.join(__dirname, 'testing', 'pre-migrations-read-models.sql'), 'utf8');
const firstMigration = () => new READ_MODEL_MIGRATIONS[0]!().name!;

/** rm_drop_summary as the entities describe it, plus one column the migrations do not create. */
@Entity({ name: 'rm_drop_summary' })
class DropSummaryWithExtraColumn extends DropSummaryEntity {
  @Column('text', { name: 'campaign', nullable: true }) campaign!: string | null;
}

/** rm_production_runs as the entities describe it, plus an index the migrations do not create. */
@Entity({ name: 'rm_production_runs' })
@Index('rm_production_runs_status', ['status'])
class ProductionRunsWithExtraIndex extends ProductionRunEntity {}

/** What TypeORM would change to fit `entities` (migrations not run: the database is used as it is). */
async function pendingFor(pool: Pool, entities: Array<new () => object>): Promise<string[]> {
  const queries = await pendingReadModelSchemaChanges(readModelsDataSource(pool, { entities }));
  return queries.map((q) => q.replace(/\s+/g, ' '));
}

async function tables(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `select tablename as name from pg_tables where schemaname = current_schema() and tablename like 'rm\\_%' order by 1`,
  );
  return rows.map((r) => r.name);
}

async function executedMigrations(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`select name from ${READ_MODEL_MIGRATIONS_TABLE} order by id`);
  return rows.map((r) => r.name);
}

/** `pool`'s database as the release before the last migration left it. */
async function migrateAllButLast(pool: Pool): Promise<void> {
  const before = readModelsDataSource(pool, { migrations: READ_MODEL_MIGRATIONS.slice(0, -1) });
  await before.initialize();
  try {
    await migrateReadModels(before);
  } finally {
    await before.destroy();
  }
}

const entityTables = () => READ_MODEL_ENTITIES.map((e) => getMetadataArgsStorage().tables.find((t) => t.target === e)!.name!);

describeWithPostgres('read-model schema on PostgreSQL: entities and generated migrations agree', () => {
  const dbs: TestPostgresDatabase[] = [];
  const empty = async (name: string) => {
    const db = await createTestPostgresDatabase(name, { empty: true });
    dbs.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('a database built from nothing by the migrations has exactly the entities: no pending schema change', async () => {
    const db = await empty('rm_schema_fresh');
    const dataSource = await openReadModels(db.pool);
    try {
      expect(await pendingReadModelSchemaChanges(dataSource)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
    expect(await tables(db.pool)).toEqual([...entityTables(), READ_MODEL_MIGRATIONS_TABLE].sort());
    expect(await executedMigrations(db.pool)).toEqual(READ_MODEL_MIGRATIONS.map((m) => new m().name));
    // Nothing is pending a second time, and destroying the DataSource left the pool open.
    const again = await openReadModels(db.pool);
    await again.destroy();
    expect(await executedMigrations(db.pool)).toHaveLength(READ_MODEL_MIGRATIONS.length);
  });

  it('an entity change without a migration is drift: an extra column, an extra index', async () => {
    const db = await empty('rm_schema_drift');
    await (await openReadModels(db.pool)).destroy();
    const withColumn = READ_MODEL_ENTITIES.map((e) => (e === DropSummaryEntity ? DropSummaryWithExtraColumn : e));
    expect(await pendingFor(db.pool, withColumn)).toEqual([`ALTER TABLE "rm_drop_summary" ADD "campaign" text`]);
    const withIndex = READ_MODEL_ENTITIES.map((e) => (e === ProductionRunEntity ? ProductionRunsWithExtraIndex : e));
    expect(await pendingFor(db.pool, withIndex)).toEqual([`CREATE INDEX "rm_production_runs_status" ON "rm_production_runs" ("status")`]);
    // ... and a table the migrations dropped (or never created) is drift too.
    await db.pool.query('drop table rm_restock_reactor');
    expect((await pendingFor(db.pool, READ_MODEL_ENTITIES)).join('\n')).toMatch(/^CREATE TABLE "rm_restock_reactor"/);
  });

  it('a database the old hand-written DDL created is adopted: rows kept, first migration recorded not run, no drift', async () => {
    const db = await empty('rm_schema_adopt');
    await db.pool.query(PRE_MIGRATIONS_SQL);
    // As such a deployment has it: the hand-written migration recorded, a row in a table, and the
    // leftover of an early rebuild swap (an auto-named copy of a secondary index).
    await db.pool.query(`create table rm_migrations (id serial primary key, "timestamp" bigint not null, name varchar not null)`);
    await db.pool.query(`insert into rm_migrations ("timestamp", name) values (1733000000000, 'ReadModels1733000000000')`);
    await db.pool.query(`insert into rm_projection_checkpoints (projection, position, events_processed) values ('drops', '42', 42)`);
    await db.pool.query(`create index rm_production_runs_rebuild_drop_id_idx on rm_production_runs (drop_id)`);
    const dataSource = await openReadModels(db.pool);
    try {
      expect(await pendingReadModelSchemaChanges(dataSource)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
    expect(await executedMigrations(db.pool)).toEqual(['ReadModels1733000000000', ...READ_MODEL_MIGRATIONS.map((m) => new m().name)]);
    expect((await db.pool.query(`select position, events_processed from rm_projection_checkpoints`)).rows).toEqual([
      { position: '42', events_processed: '42' },
    ]);
    const { rows } = await db.pool.query(`select indexname from pg_indexes where tablename = 'rm_production_runs' order by 1`);
    expect(rows.map((r) => r.indexname)).toEqual(['rm_production_runs_drop', 'rm_production_runs_pkey']);
  });

  it('also when the old DDL ran without any migration record (a database built straight from the SQL file)', async () => {
    const db = await empty('rm_schema_adopt_bare');
    await db.pool.query(PRE_MIGRATIONS_SQL);
    await (await openReadModels(db.pool)).destroy();
    expect(await executedMigrations(db.pool)).toEqual([firstMigration(), ...READ_MODEL_MIGRATIONS.slice(1).map((m) => new m().name)]);
    expect(await pendingFor(db.pool, READ_MODEL_ENTITIES)).toEqual([]);
  });

  it('AccessPhases fills the new summary columns of rows written before it from their status and definition', async () => {
    const db = await empty('rm_schema_access_phases');
    await migrateAllButLast(db.pool);
    const definition = (onSellOut?: string) =>
      JSON.stringify({ variants: [{ editionCap: 3 }, { editionCap: 2 }], ...(onSellOut ? { onSellOut } : {}) });
    const rows: Array<[string, string, number, string]> = [
      ['s', 'scheduled', 0, definition()],
      ['e', 'early-access', 1, definition()],
      ['o', 'open', 5, definition()],
      ['c', 'closed', 5, definition('close')],
      ['x', 'cancelled', 2, definition()],
    ];
    for (const [id, status, netUnits, def] of rows)
      await db.pool.query(
        `insert into rm_drop_summary (drop_id, name, city, currency, status, opens_at, closes_at, tier_in_force, unit_price_in_force,
           units_sold, net_units, active_pre_orders, minimum_order_quantity, revenue, revenue_by_tier, revenue_by_channel, definition, last_revision)
         values ($1, 'n', null, 'GBP', $2, now(), now(), 0, 100, $3, $3, 1, 1, 0, '{}', '{}', $4, 0)`,
        [id, status, netUnits, def],
      );
    await (await openReadModels(db.pool)).destroy();
    const { rows: after } = await db.pool.query(
      `select drop_id, open_phase, on_sell_out, sold_out, members from rm_drop_summary order by drop_id`,
    );
    expect(after).toEqual([
      { drop_id: 'c', open_phase: null, on_sell_out: 'close', sold_out: true, members: 0 },
      { drop_id: 'e', open_phase: 'early-access', on_sell_out: 'stay-open', sold_out: false, members: 0 },
      { drop_id: 'o', open_phase: 'public', on_sell_out: 'stay-open', sold_out: true, members: 0 },
      { drop_id: 's', open_phase: null, on_sell_out: 'stay-open', sold_out: false, members: 0 },
      { drop_id: 'x', open_phase: null, on_sell_out: 'stay-open', sold_out: false, members: 0 },
    ]);
  });

  it('a pending migration gives way to a long reader of its table: writes never queue behind its ALTER TABLE, and it runs once the reader ends', async () => {
    const db = await empty('rm_schema_give_way');
    const last = new READ_MODEL_MIGRATIONS[READ_MODEL_MIGRATIONS.length - 1]!().name!;
    await migrateAllButLast(db.pool);
    // An analyst's long read: ACCESS SHARE on rm_drop_summary until it commits. An ALTER TABLE that
    // waited for it would queue every later write to the table behind itself.
    const reader = await db.pool.connect();
    const upgraded = readModelsDataSource(db.pool);
    await upgraded.initialize();
    const waits: string[] = [];
    let migrating: Promise<string[]> | undefined;
    try {
      await reader.query('BEGIN; SELECT count(*) FROM rm_drop_summary');
      const readerPid = (await reader.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // As the engine passes them: the entities' tables (one not created yet holds nothing).
      migrating = migrateReadModels(
        upgraded,
        warnOfLockWaits('read-model migrations', (m) => waits.push(m), {
          pool: db.pool,
          tables: ['rm_not_created_yet', ...upgraded.entityMetadatas.map((m) => m.tableName)],
        }),
      );
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const write = db.pool.query(
          `insert into rm_drop_summary (drop_id, name, city, currency, status, opens_at, closes_at, tier_in_force, unit_price_in_force,
             units_sold, net_units, active_pre_orders, minimum_order_quantity, revenue, revenue_by_tier, revenue_by_channel, definition, last_revision)
           values ($1, 'n', null, 'GBP', 'open', now(), now(), 0, 100, 0, 0, 0, 1, 0, '{}', '{}', '{"variants":[]}', 0)`,
          [`give-way-${i}`],
        );
        expect(
          await within(
            2_000,
            write.then(() => 'written'),
          ),
        ).toBe('written');
      }
      expect(waits[0]).toMatch(
        new RegExp(
          `^read-model migrations: a running transaction holds a lock it needs \\(pid ${readerPid} \\(test-rm_schema_give_way, idle in transaction, transaction open \\d+ s\\)\\) ` +
            `\\(attempt 1\\); giving way, next try in \\d+ ms$`,
        ),
      );
      expect(await executedMigrations(db.pool)).not.toContain(last);
    } finally {
      await reader.query('COMMIT');
      reader.release();
      await migrating?.catch(() => undefined);
      await upgraded.destroy();
    }
    expect(await migrating).toEqual([last]);
    expect(await executedMigrations(db.pool)).toHaveLength(READ_MODEL_MIGRATIONS.length);
    expect(await pendingFor(db.pool, READ_MODEL_ENTITIES)).toEqual([]);
  });

  it('a migration that fails names itself in the error; those before it in the run stay recorded', async () => {
    const db = await empty('rm_schema_failing');
    class Broken1799999999999 implements MigrationInterface {
      name = 'Broken1799999999999';
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query('select * from rm_no_such_table');
      }
      async down(): Promise<void> {}
    }
    const dataSource = readModelsDataSource(db.pool, { migrations: [...READ_MODEL_MIGRATIONS, Broken1799999999999] });
    await dataSource.initialize();
    try {
      await expect(migrateReadModels(dataSource)).rejects.toThrow(
        'read-model migration Broken1799999999999 failed: relation "rm_no_such_table" does not exist',
      );
    } finally {
      await dataSource.destroy();
    }
    expect(await executedMigrations(db.pool)).toEqual(READ_MODEL_MIGRATIONS.map((m) => new m().name));
  });

  it('instances starting at once on one empty database migrate it once (advisory lock), and none fails', async () => {
    const db = await empty('rm_schema_race');
    const second = readModelsDataSource(db.pool);
    const first = readModelsDataSource(db.pool);
    await Promise.all([first.initialize(), second.initialize()]);
    try {
      const ran = await Promise.all([migrateReadModels(first), migrateReadModels(second)]);
      expect(ran.flat()).toEqual(READ_MODEL_MIGRATIONS.map((m) => new m().name));
    } finally {
      await first.destroy();
      await second.destroy();
    }
    expect(await executedMigrations(db.pool)).toHaveLength(READ_MODEL_MIGRATIONS.length);
  });
});

describe('read-model schema on PGlite: the test template comes from the migrations', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('the template has every migration applied and nothing pending against the entities', async () => {
    expect(await executedMigrations(db.pool)).toEqual(READ_MODEL_MIGRATIONS.map((m) => new m().name));
    expect(await pendingFor(db.pool, READ_MODEL_ENTITIES)).toEqual([]);
    const withColumn = READ_MODEL_ENTITIES.map((e) => (e === DropSummaryEntity ? DropSummaryWithExtraColumn : e));
    expect(await pendingFor(db.pool, withColumn)).toEqual([`ALTER TABLE "rm_drop_summary" ADD "campaign" text`]);
  });

  it('the DataSource borrows the one PGlite connection: opening and destroying it leaves the pool open and at one client', async () => {
    const dataSource = await openReadModels(db.pool);
    // A repository read and a pool query interleave on the same single connection.
    const [summaries, { rows }] = await Promise.all([
      dataSource.getRepository(DropSummaryEntity).count(),
      db.pool.query('select 1 as one'),
    ]);
    expect(summaries).toBe(0);
    expect(rows).toEqual([{ one: 1 }]);
    expect(db.pool.totalCount).toBe(1);
    // The migrations' bounded lock waits end with them: the one connection waits as it did before.
    expect((await db.pool.query('show lock_timeout')).rows).toEqual([{ lock_timeout: '0' }]);
    await dataSource.destroy();
    expect((await db.pool.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });
});
