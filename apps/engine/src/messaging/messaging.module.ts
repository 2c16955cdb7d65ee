import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AnalyticsHandler, AnalyticsModule } from '@dropline/analytics';
import { ENGINE_COMMANDS, FulfillmentHandler, FulfillmentModule } from '@dropline/fulfillment';
import type { AppConfig, Databases } from '@dropline/platform';
import { Clock, DATABASES, EVENT_STORE, LeaseFactory, Metrics, SystemClock } from '@dropline/platform';
import { CommandBusEngineCommands } from './command-bus-engine-commands';
import { DeadLettersController } from './dead-letters.controller';
import { MessagingController } from './messaging.controller';
import { MessagingRuntime } from './messaging.runtime';

/** Starts and stops the fan-out workers with the app. */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(MessagingRuntime) private readonly runtime: MessagingRuntime) {}
  onApplicationBootstrap(): Promise<void> {
    return this.runtime.start();
  }
  onApplicationShutdown(): Promise<void> {
    return this.runtime.stop();
  }
}

export interface MessagingModuleOptions {
  config: AppConfig;
  databases: Databases;
  clock?: Clock;
}

/**
 * Kafka fan-out inside the engine: the relay, and the fulfillment and
 * analytics consumers with their routes when RUN_CONSUMERS is on (docs/messaging.md).
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    const clock = options.clock ?? new SystemClock();
    const { config, databases } = options;
    const runConsumers = config.run.consumers;
    const handlers = runConsumers ? [new FulfillmentHandler(config.fulfillment.dispatchSlaDays), new AnalyticsHandler()] : [];
    return {
      module: MessagingModule,
      imports: runConsumers
        ? [
            FulfillmentModule.forRoot({
              pool: databases.readModels,
              now: () => clock.now(),
              engine: {
                provide: ENGINE_COMMANDS,
                useFactory: (bus: CommandBus) => new CommandBusEngineCommands(bus, clock),
                inject: [CommandBus],
              },
            }),
            AnalyticsModule.forRoot({ pool: databases.readModels }),
          ]
        : [],
      controllers: [MessagingController, DeadLettersController],
      providers: [
        { provide: DATABASES, useValue: databases },
        { provide: EVENT_STORE, useValue: databases.store },
        { provide: Clock, useValue: clock },
        LeaseFactory,
        {
          provide: MessagingRuntime,
          useFactory: (leases: LeaseFactory, metrics?: Metrics) => new MessagingRuntime(config, databases, leases, handlers, {}, metrics),
          inject: [LeaseFactory, { token: Metrics, optional: true }],
        },
        MessagingLifecycle,
      ],
    };
  }
}
