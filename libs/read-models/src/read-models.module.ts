import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig, Databases } from '@dropline/platform';
import { Clock, DATABASES, LeaseFactory, SystemClock } from '@dropline/platform';
import { AdminProjectionsController } from './admin-projections.controller';
import { ProjectorService } from './projector.service';
import { ReadModelsController } from './read-models.controller';

export interface ReadModelsModuleOptions {
  config: AppConfig;
  databases: Databases;
  clock?: Clock;
}

/**
 * The read models: their tables (TypeORM migrations), the GET routes, the admin routes and the
 * projector that keeps them up to date (when config.run.projections). Self-contained so the
 * engine imports it and apps/projector runs it on its own; APP_CONFIG comes from the app's
 * PlatformConfigModule (global).
 */
@Module({})
export class ReadModelsModule {
  static forRoot(options: ReadModelsModuleOptions): DynamicModule {
    return {
      module: ReadModelsModule,
      controllers: [ReadModelsController, AdminProjectionsController],
      providers: [
        { provide: DATABASES, useValue: options.databases },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        LeaseFactory,
        ProjectorService,
      ],
      exports: [ProjectorService],
    };
  }
}
