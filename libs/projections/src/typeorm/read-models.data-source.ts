import type { Pool, PoolClient } from 'pg';
import {
  DataSource,
  MigrationExecutor,
  type DataSourceOptions,
  type Logger as TypeOrmLogger,
  type Migration,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { DDL_LOCK_TIMEOUT_MS, type DdlOptions, givingWayToRunningWork, isLockNotAvailable } from '@dropline/event-store';
import { READ_MODEL_ENTITIES } from './read-models.entities';
import { READ_MODEL_MIGRATIONS } from './read-models.migrations';

/** TypeORM's bookkeeping table of applied read-model migrations (the name it had before the migrations were generated). */
export const READ_MODEL_MIGRATIONS_TABLE = 'rm_migrations';

type MigrationClass = new () => MigrationInterface;

/**
 * What TypeORM's postgres driver does with the pool it creates from its `driver` option, and
 * nothing more: `new driver.Pool(options)`, `pool.on('error', …)`, `pool.connect(callback)` for
 * every query runner, `pool.end(callback)` when the DataSource is destroyed.
 *
 * The read models must run on the pool the engine already opened: on the embedded default that
 * is PGlite's ONE connection, shared with the event store (a second pg pool over the same PGlite
 * would interleave two clients' protocol messages on one session), and on a server it is the
 * read-model pool with its bigint-as-string parsers. TypeORM has no option that takes an
 * existing pool, so its documented `driver` option gets this borrowed view: connections come
 * from the shared pool, `end` leaves the pool to whoever opened it (Databases.close), and `on`
 * leaves its error handling to its owner too (createPostgresPool and the embedded wrapper attach
 * their own).
 */
class BorrowedPool {
  constructor(private readonly pool: Pool) {}

  connect(callback: (error: Error | undefined, client: PoolClient | undefined, release: (error?: Error) => void) => void): void {
    this.pool.connect((error, client, release) => callback(error ?? undefined, client, release));
  }

  on(): this {
    return this;
  }

  end(callback?: (error?: Error) => void): void {
    callback?.();
  }
}

/** A `driver` for TypeORM's postgres DataSource option whose `new Pool()` borrows `pool`. */
function borrowedPoolDriver(pool: Pool): { Pool: new () => BorrowedPool } {
  return {
    Pool: class extends BorrowedPool {
      constructor() {
        super(pool);
      }
    },
  };
}

/**
 * The DataSource options of the read models, without a connection: entities, migrations,
 * `synchronize: false` (the schema changes only through generated migrations). The app's
 * TypeOrmModule, the CLI's data source (tools/read-models.data-source.js) and the tests use them.
 */
export function readModelsDataSourceOptions(migrations: MigrationClass[] = READ_MODEL_MIGRATIONS) {
  return {
    type: 'postgres' as const,
    entities: READ_MODEL_ENTITIES,
    migrations,
    migrationsTableName: READ_MODEL_MIGRATIONS_TABLE,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  };
}

/**
 * TypeORM prints each migration's failure with console.log whatever `logging` says, and a
 * migration that gives way to running work (migrateReadModels) fails on purpose. The engine
 * reports its migrations itself: migrateReadModels returns those that ran, names the one that
 * failed in its error, and tells of each give-way; the app logs them in its own format.
 */
const quietTypeOrmLogger: TypeOrmLogger = {
  logQuery: () => undefined,
  logQueryError: () => undefined,
  logQuerySlow: () => undefined,
  logSchemaBuild: () => undefined,
  logMigration: () => undefined,
  log: () => undefined,
};

/** A read-model DataSource (not yet initialized) over an EXISTING pg pool; destroying it leaves the pool open. */
export function readModelsDataSource(pool: Pool, options: Partial<DataSourceOptions> = {}): DataSource {
  return new DataSource({
    ...readModelsDataSourceOptions(),
    logger: quietTypeOrmLogger,
    ...options,
    driver: borrowedPoolDriver(pool),
  } as DataSourceOptions);
}

/** Creates (or brings up to date) the read-model tables over the given pool and returns the initialized DataSource. */
export async function openReadModels(pool: Pool, options: DdlOptions = {}): Promise<DataSource> {
  const dataSource = readModelsDataSource(pool);
  await dataSource.initialize();
  try {
    await migrateReadModels(dataSource, options);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** Advisory-lock key that serializes read-model migrations across instances starting at once ('dropline:rm_migrations'). */
const MIGRATION_LOCK_SQL = `select pg_advisory_lock(hashtextextended('dropline:rm_migrations', 0))`;
const MIGRATION_UNLOCK_SQL = `select pg_advisory_unlock(hashtextextended('dropline:rm_migrations', 0))`;

/**
 * Runs the pending read-model migrations, one transaction each, under an advisory lock (two
 * engines starting on one empty database would otherwise both run the first CREATE TABLE).
 * Everything runs on one query runner, so on embedded PGlite it is the one connection.
 *
 * The migrations give way to running work as the event store's schema does (DDL_LOCK_TIMEOUT_MS,
 * givingWayToRunningWork): an ALTER TABLE that waited behind an analyst's long read of a read model
 * would queue every projection write and storefront read of that table behind it, for as long as
 * that read lasts. Each lock wait is bounded instead; the migration that timed out rolls back and
 * the pending ones are tried again after a pause (those that committed stay recorded). The
 * advisory lock itself is waited for without a bound: only instances starting together wait on it.
 *
 * A database the old hand-written, idempotent DDL created (before the migrations were generated)
 * already has the tables the first migration creates: it is adopted instead of migrated, see
 * adoptPreMigrationSchema. Returns the names of the migrations that ran.
 */
export async function migrateReadModels(dataSource: DataSource, options: DdlOptions = {}): Promise<string[]> {
  const queryRunner = dataSource.createQueryRunner('master');
  try {
    await queryRunner.query(MIGRATION_LOCK_SQL);
    try {
      await queryRunner.query(`set lock_timeout = '${DDL_LOCK_TIMEOUT_MS}ms'`);
      const ran: string[] = [];
      await givingWayToRunningWork(async () => {
        await adoptPreMigrationSchema(dataSource, queryRunner);
        const executor = new MigrationExecutor(dataSource, queryRunner);
        executor.transaction = 'each';
        // Each migration commits on its own: those that ran before a give-way stay recorded.
        const pending = (await executor.getPendingMigrations()).map((m) => m.name);
        let failure: { error: unknown } | undefined;
        await executor.executePendingMigrations().catch((error: unknown) => (failure = { error }));
        const left = await executor.getPendingMigrations().catch(() => undefined);
        if (left) ran.push(...pending.filter((name) => !left.some((m) => m.name === name)));
        if (!failure) return;
        if (isLockNotAvailable(failure.error) || !left?.length) throw failure.error;
        throw new Error(`read-model migration ${left[0]!.name} failed: ${(failure.error as Error).message}`, { cause: failure.error });
      }, options);
      return ran;
    } finally {
      await queryRunner.query('reset lock_timeout');
      await queryRunner.query(MIGRATION_UNLOCK_SQL);
    }
  } finally {
    await queryRunner.release();
  }
}

/**
 * Adopts a database whose read-model tables predate the generated migrations. Until then one
 * hand-written migration (ReadModels1733000000000) ran an idempotent SQL file, so every such
 * database has the tables of the first generated migration (the schema test proves the
 * entities reproduce that DDL exactly). When `rm_drop_summary` exists and the first generated
 * migration is not recorded, this (1) drops what an early rebuild swap left behind — before the
 * swap renamed indexes, a swapped-in table kept its shadow's auto-named
 * `<table>_rebuild_<columns>_idx` / `<table>_rebuild_pkey` indexes next to the real ones (the old
 * SQL file did the same clean-up) — and (2) records the first migration as applied without
 * running it (TypeORM's `fake` run). Later migrations then run as on any database.
 */
async function adoptPreMigrationSchema(dataSource: DataSource, queryRunner: QueryRunner): Promise<void> {
  const first = dataSource.migrations[0];
  if (!first || !(await queryRunner.hasTable('rm_drop_summary'))) return;
  const executor = new MigrationExecutor(dataSource, queryRunner);
  const executed = await executor.getExecutedMigrations();
  const firstName = first.name ?? first.constructor.name;
  if (executed.some((m) => m.name === firstName)) return;
  await queryRunner.query(DROP_REBUILD_LEFTOVERS_SQL);
  const baseline = new FirstMigrationExecutor(dataSource, queryRunner);
  baseline.fake = true;
  baseline.transaction = 'none';
  await baseline.executePendingMigrations();
}

/** Sees only the first migration, so a fake run records that one as applied and nothing else. */
class FirstMigrationExecutor extends MigrationExecutor {
  protected override getMigrations(): Migration[] {
    return super.getMigrations().slice(0, 1);
  }
}

const DROP_REBUILD_LEFTOVERS_SQL = `
do $$
declare
  r record;
begin
  for r in
    select i.relname as index_name, t.relname as table_name, x.indisprimary as is_primary
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    where t.relnamespace = current_schema()::regnamespace
      and t.relname like 'rm\\_%' and t.relname not like '%\\_rebuild'
      and i.relname like t.relname || '\\_rebuild\\_%'
  loop
    if r.is_primary then
      if to_regclass(r.table_name || '_pkey') is null then
        execute format('alter index %I rename to %I', r.index_name, r.table_name || '_pkey');
      end if;
    else
      execute format('drop index %I', r.index_name);
    end if;
  end loop;
end $$`;

/**
 * The SQL TypeORM's schema builder would run to make the database match the entities (empty when
 * they agree). `synchronize` stays off: this only reads. Used by the drift tests and after a
 * rebuild swap; takes a DataSource, or a pool to open a short-lived one over.
 */
export async function pendingReadModelSchemaChanges(source: DataSource | Pool): Promise<string[]> {
  const dataSource = source instanceof DataSource ? source : readModelsDataSource(source);
  if (!dataSource.isInitialized) await dataSource.initialize();
  try {
    const log = await dataSource.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query.trim());
  } finally {
    if (dataSource !== source) await dataSource.destroy();
  }
}
