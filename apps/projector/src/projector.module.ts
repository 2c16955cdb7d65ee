import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule, MetricsModule, PlatformConfigModule } from '@dropline/platform';
import { ReadModelsModule, ReadModelsModuleOptions } from '@dropline/read-models';

/** The projector app: the engine's read-model module on its own (routes, admin, projector workers), no command path. */
@Module({})
export class ProjectorModule {
  static forRoot(options: ReadModelsModuleOptions): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        PlatformConfigModule.forRoot(options.config),
        HealthModule.forRoot({ databases: options.databases }),
        // Its processors' lag, state and restarts, and its leases: /metrics on its port and METRICS_PORT.
        ...(options.config.metrics.enabled ? [MetricsModule.forRoot({ databases: options.databases })] : []),
        ReadModelsModule.forRoot(options),
      ],
    };
  }
}
