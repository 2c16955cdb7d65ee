import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES } from './read-models.entities';
import { ReadModels1733000000000 } from './read-models.migration';

/**
 * A TypeORM DataSource over an EXISTING pg Pool. TypeORM's postgres driver builds its pool with
 * `new driver.Pool(options)`; handing it a `driver` whose Pool constructor returns the shared
 * pool keeps embedded mode on its single PGlite connection (a second connection would be a
 * second database). `end` is a no-op: the pool belongs to whoever opened it.
 */
export function readModelsDataSource(pool: Pool): DataSource {
  const shared = new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'end') return (callback?: (err?: Error) => void) => (callback ? callback() : Promise.resolve());
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // Must be a constructible function: TypeORM calls `new Pool(...)`, which returns this object.
  function SharedPool(): Pool {
    return shared;
  }
  const driver = { Pool: SharedPool, defaults: {} };
  return new DataSource({
    type: 'postgres',
    driver,
    entities: READ_MODEL_ENTITIES,
    migrations: [ReadModels1733000000000],
    migrationsTableName: 'rm_migrations',
    synchronize: false,
    logging: false,
  });
}

/** Creates the read-model tables (TypeORM migrations over the given pool) and returns the initialized DataSource. */
export async function openReadModels(pool: Pool): Promise<DataSource> {
  const dataSource = readModelsDataSource(pool);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
