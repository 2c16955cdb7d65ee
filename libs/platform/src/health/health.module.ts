import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Databases } from '../infrastructure/databases';
import { DATABASES } from '../infrastructure/tokens';
import { HealthController } from './health.controller';
import { LagRegistry } from './lag-registry';

/**
 * /health/live and /health/ready, and the global LagRegistry that the projections register their
 * lag into (any module can inject it without importing this one). The relay's and the consumers'
 * lag are reported on /messaging/status and the metrics, not in readiness.
 */
@Global()
@Module({})
export class HealthModule {
  static forRoot(options: { databases: Databases }): DynamicModule {
    return {
      module: HealthModule,
      // Readiness failures are answered as problems; terminus's own error log would repeat them on every probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [LagRegistry, { provide: DATABASES, useValue: options.databases }],
      exports: [LagRegistry],
    };
  }
}
