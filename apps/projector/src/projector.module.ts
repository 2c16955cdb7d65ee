import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule, AuthSetup, HealthModule, MetricsModule, PlatformConfigModule } from '@dropline/platform';
import { ReadModelsModule, ReadModelsModuleOptions } from '@dropline/read-models';

/**
 * The projector app: the engine's read-model module on its own (routes, admin, projector workers),
 * no command path. Its routes are the engine's, so they take the engine's tokens and role matrix
 * (a customer's pre-orders, a rebuild): served without, anyone who reached the port read them.
 */
@Module({})
export class ProjectorModule {
  static forRoot(options: ReadModelsModuleOptions & { auth: AuthSetup }): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        PlatformConfigModule.forRoot(options.config),
        AuthModule.forRoot(options.auth),
        HealthModule.forRoot({ databases: options.databases }),
        // Its processors' lag, state and restarts, and its leases: /metrics on its port and METRICS_PORT.
        ...(options.config.metrics.enabled ? [MetricsModule.forRoot({ databases: options.databases })] : []),
        ReadModelsModule.forRoot(options),
      ],
    };
  }
}
