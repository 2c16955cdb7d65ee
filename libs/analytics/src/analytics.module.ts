import { DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsQueries } from './analytics.queries';

/** Analytics' HTTP routes over its own database (schema `analytics`). */
@Module({})
export class AnalyticsModule {
  static forRoot(options: { pool: Pool }): DynamicModule {
    return {
      module: AnalyticsModule,
      controllers: [AnalyticsController],
      providers: [{ provide: AnalyticsQueries, useValue: new AnalyticsQueries(options.pool) }],
      exports: [AnalyticsQueries],
    };
  }
}
