import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { AppConfig, AuthSetup, Databases } from '@dropline/platform';
import {
  AuthModule,
  Clock,
  DATABASES,
  denyAllAuth,
  EVENT_STORE,
  HealthModule,
  LeaseFactory,
  MetricsModule,
  PlatformConfigModule,
  SystemClock,
} from '@dropline/platform';
import { DropWriter } from './drops/drop-writer';
import { GetDropController } from './drops/get-drop/get-drop.controller';
import { DropHistoryController } from './drops/drop-history/drop-history.controller';
import { ListDropMembersController } from './drops/list-drop-members/list-drop-members.controller';
import { EventCausationController } from './events/event-causation.controller';
import { CustomerHistory } from './pre-orders/customer-history';
import { COMMAND_CONTROLLERS, COMMAND_HANDLERS } from './command-slices';
import { DropScheduler } from './scheduler/drop-scheduler';
import { DemandRecorder } from './demand/demand-recorder';
import { ReadModelsModule } from '@dropline/read-models';
import { MessagingModule } from './messaging/messaging.module';
import { VisitsController } from './visits/visits.controller';
import { VisitsRecorder } from './visits/visits-recorder';
import { VisitDrops } from './visits/visit-drops';

export interface EngineModuleOptions {
  config: AppConfig;
  databases: Databases;
  clock?: Clock;
  /** Bearer-token verification (setUpAuth); without it no route but the public ones answers. */
  auth?: AuthSetup;
}

/** The whole engine: HTTP slices, the command path, and the in-process workers the config enables. */
@Module({})
export class EngineModule {
  static forRoot(options: EngineModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: DATABASES, useValue: options.databases },
      { provide: EVENT_STORE, useValue: options.databases.store },
      { provide: Clock, useValue: options.clock ?? new SystemClock() },
      LeaseFactory,
      DropWriter,
      CustomerHistory,
      DropScheduler,
      DemandRecorder,
      ...COMMAND_HANDLERS,
      VisitsRecorder,
      VisitDrops,
    ];
    return {
      module: EngineModule,
      imports: [
        PlatformConfigModule.forRoot(options.config),
        CqrsModule.forRoot(),
        AuthModule.forRoot(options.auth ?? denyAllAuth()),
        HealthModule.forRoot({ databases: options.databases }),
        ...(options.config.metrics.enabled ? [MetricsModule.forRoot({ databases: options.databases })] : []),
        ReadModelsModule.forRoot(options),
        MessagingModule.forRoot(options),
      ],
      controllers: [
        ...COMMAND_CONTROLLERS,
        GetDropController,
        DropHistoryController,
        ListDropMembersController,
        EventCausationController,
        // Visits intake checks the drop (VisitDrops reads the DropWriter's cache).
        VisitsController,
      ],
      providers,
      exports: [DropWriter, Clock, DATABASES, EVENT_STORE, LeaseFactory],
    };
  }
}
