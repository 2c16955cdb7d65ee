import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { warnOfLockWaits } from '@dropline/event-store';
import { migrateReadModels, READ_MODEL_ENTITIES, readModelsDataSource, readModelsDataSourceOptions } from '@dropline/projections';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig, Databases } from '@dropline/platform';
import { Clock, DATABASES, LeaseFactory, SystemClock } from '@dropline/platform';
import { AdminProjectionsController } from './admin-projections.controller';
import { ProjectorService } from './projector.service';
import { ReadModelsController } from './read-models.controller';
import { StorefrontReader } from './storefront.reader';

export interface ReadModelsModuleOptions {
  config: AppConfig;
  databases: Databases;
  clock?: Clock;
}

/**
 * The read models: their tables (TypeORM entities, migrated at start), the GET routes, the admin
 * routes and the projector that keeps them up to date (when config.run.projections).
 * Self-contained so the engine imports it and apps/projector runs it on its own; APP_CONFIG comes
 * from the app's PlatformConfigModule (global).
 *
 * TypeOrmModule's DataSource runs on `databases.readModels`, the pool the engine already opened
 * (on embedded PGlite the one connection the event store uses too): its dataSourceFactory builds
 * the DataSource over that pool, initializes it and runs the pending migrations before any
 * route, projector or reactor is constructed. `synchronize` is off. Destroying it at shutdown
 * leaves the pool to Databases.close (read-models.data-source.ts).
 */
@Module({})
export class ReadModelsModule {
  static forRoot(options: ReadModelsModuleOptions): DynamicModule {
    return {
      module: ReadModelsModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // Fail the start at once (as the event store's schema does) rather than retrying 9 times.
          useFactory: () => ({ ...readModelsDataSourceOptions(), retryAttempts: 0 }),
          dataSourceFactory: async (typeOrmOptions) => {
            const dataSource = readModelsDataSource(options.databases.readModels, typeOrmOptions as DataSourceOptions);
            await dataSource.initialize();
            try {
              const logger = new Logger('ReadModels');
              const ran = await migrateReadModels(
                dataSource,
                warnOfLockWaits('read-model migrations', (m) => logger.warn(m), {
                  pool: options.databases.readModels,
                  tables: dataSource.entityMetadatas.map((m) => m.tableName),
                }),
              );
              if (ran.length) logger.log(`read-model migrations ran: ${ran.join(', ')}`);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
        TypeOrmModule.forFeature(READ_MODEL_ENTITIES),
      ],
      controllers: [ReadModelsController, AdminProjectionsController],
      providers: [
        { provide: DATABASES, useValue: options.databases },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        LeaseFactory,
        ProjectorService,
        StorefrontReader,
      ],
      exports: [ProjectorService, StorefrontReader],
    };
  }
}
