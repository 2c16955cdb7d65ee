import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getRepositoryToken } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { DropSummaryEntity, pendingReadModelSchemaChanges, READ_MODEL_MIGRATIONS } from '@dropline/projections';
import { loadConfig, PlatformConfigModule } from '@dropline/platform';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { ReadModelsModule } from './read-models.module';
import { ProjectorService } from './projector.service';

describe('ReadModelsModule: TypeOrmModule over the engine’s own connection', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    // Back to a database from before any migration: the module must migrate it itself.
    await db.pool.query('drop table rm_migrations');
    const { rows } = await db.pool.query<{ name: string }>(`select tablename as name from pg_tables where tablename like 'rm\\_%'`);
    for (const { name } of rows) await db.pool.query(`drop table ${name}`);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('migrates at start, serves repositories on the one PGlite connection, and leaves the pool open at shutdown', async () => {
    const config = loadConfig({ LOG_LEVEL: 'error', RUN_PROJECTIONS: 'false' });
    const databases = { store: new PostgresEventStore(db.pool), readModels: db.pool, embedded: true, close: async () => undefined };
    @Module({ imports: [PlatformConfigModule.forRoot(config), ReadModelsModule.forRoot({ config, databases })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const dataSource = app.get(DataSource);
      expect(dataSource.isInitialized).toBe(true);
      expect(dataSource.options.synchronize).toBe(false);
      expect(app.get(ProjectorService).readModels).toBe(dataSource);
      expect(await pendingReadModelSchemaChanges(dataSource)).toEqual([]);
      const summaries = app.get<Repository<DropSummaryEntity>>(getRepositoryToken(DropSummaryEntity));
      const [count, { rows }] = await Promise.all([summaries.count(), db.pool.query('select 1 as one')]);
      expect(count).toBe(0);
      expect(rows).toEqual([{ one: 1 }]);
      expect(db.pool.totalCount).toBe(1);
    } finally {
      await app.close();
    }
    // TypeOrmModule destroyed its DataSource at shutdown; the pool belongs to Databases and still answers.
    expect((await db.pool.query('select count(*)::int as n from rm_migrations')).rows).toEqual([{ n: READ_MODEL_MIGRATIONS.length }]);
  });
});
