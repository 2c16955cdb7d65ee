// Public API of @dropline/fulfillment: the fulfillment consumer, its task routes and the engine-command port.
export * from './engine/engine-commands';
export * from './fulfillment.handler';
export * from './fulfillment.module';
export * from './tasks/fulfillment-tasks.controller';
export * from './tasks/fulfillment-tasks.service';
