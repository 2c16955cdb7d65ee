import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { Clock, SystemClock } from '../infrastructure/clock';
import type { Databases } from '../infrastructure/databases';
import { LeaseFactory } from '../infrastructure/lease-factory';
import { APP_CONFIG, DATABASES } from '../infrastructure/tokens';
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
 * engine imports it and apps/projector runs it on its own.
 */
@Module({})
export class ReadModelsModule {
  static forRoot(options: ReadModelsModuleOptions): DynamicModule {
    return {
      module: ReadModelsModule,
      controllers: [ReadModelsController, AdminProjectionsController],
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: DATABASES, useValue: options.databases },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        LeaseFactory,
        ProjectorService,
      ],
      exports: [ProjectorService],
    };
  }
}
