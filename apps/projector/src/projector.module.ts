import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule, PlatformConfigModule } from '@dropline/platform';
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
        ReadModelsModule.forRoot(options),
      ],
    };
  }
}
