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
  PlatformConfigModule,
  SystemClock,
} from '@dropline/platform';
import { DropWriter } from './drops/drop-writer';
import { ScheduleDropController } from './drops/schedule-drop/schedule-drop.controller';
import { ScheduleDropHandler } from './drops/schedule-drop/schedule-drop.command';
import { DropLifecycleController } from './drops/drop-lifecycle/drop-lifecycle.controller';
import { DropLifecycleHandler } from './drops/drop-lifecycle/drop-lifecycle.command';
import { GetDropController } from './drops/get-drop/get-drop.controller';
import { DropHistoryController } from './drops/drop-history/drop-history.controller';
import { PlacePreOrderController } from './pre-orders/place-pre-order/place-pre-order.controller';
import { PlacePreOrderHandler } from './pre-orders/place-pre-order/place-pre-order.command';
import { PreOrderActionsController } from './pre-orders/pre-order-actions.controller';
import { PreOrderActionHandler } from './pre-orders/pre-order-action.command';
import { CustomerHistory } from './pre-orders/customer-history';
import { FulfillmentController } from './fulfillment/fulfillment.controller';
import { ReturnsController } from './returns/returns.controller';
import { ReturnHandler } from './returns/return.command';
import { ProductionRunsController } from './production-runs/production-runs.controller';
import { ProductionRunHandler } from './production-runs/production-run.command';
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
      ScheduleDropHandler,
      DropLifecycleHandler,
      PlacePreOrderHandler,
      PreOrderActionHandler,
      ReturnHandler,
      ProductionRunHandler,
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
        ReadModelsModule.forRoot(options),
        MessagingModule.forRoot(options),
      ],
      controllers: [
        ScheduleDropController,
        DropLifecycleController,
        GetDropController,
        DropHistoryController,
        PlacePreOrderController,
        PreOrderActionsController,
        FulfillmentController,
        ReturnsController,
        ProductionRunsController,
        // Visits intake checks the drop (VisitDrops reads the DropWriter's cache).
        VisitsController,
      ],
      providers,
      exports: [DropWriter, Clock, DATABASES, EVENT_STORE, LeaseFactory],
    };
  }
}
