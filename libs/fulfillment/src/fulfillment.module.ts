import { DynamicModule, Module, Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import type { EngineCommands } from './engine/engine-commands';
import { FulfillmentTasks } from './tasks/fulfillment-tasks.service';
import { FulfillmentTasksController } from './tasks/fulfillment-tasks.controller';

/** Injection token of the EngineCommands fulfillment reports hand-overs through. */
export const ENGINE_COMMANDS = Symbol('ENGINE_COMMANDS');

export interface FulfillmentModuleOptions {
  /** Fulfillment's own database (its tables live in schema `fulfillment`). */
  pool: Pool;
  /** Provides ENGINE_COMMANDS: HTTP in server mode, the CommandBus inside the engine. */
  engine: Provider<EngineCommands> & { provide: typeof ENGINE_COMMANDS };
  now: () => Date;
}

/** Fulfillment's HTTP routes; the consumer itself is started by whoever hosts the module. */
@Module({})
export class FulfillmentModule {
  static forRoot(options: FulfillmentModuleOptions): DynamicModule {
    return {
      module: FulfillmentModule,
      controllers: [FulfillmentTasksController],
      providers: [
        options.engine,
        {
          provide: FulfillmentTasks,
          useFactory: (engine: EngineCommands) => new FulfillmentTasks(options.pool, engine, options.now),
          inject: [ENGINE_COMMANDS],
        },
      ],
      exports: [FulfillmentTasks],
    };
  }
}
