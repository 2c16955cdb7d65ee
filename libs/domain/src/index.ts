// Public API of @dropline/domain: pure TypeScript, no framework, no IO.
export * from './decider';
export * from './drop/drop.definition';
export * from './drop/drop.currencies';
export * from './drop/drop.commands';
export * from './drop/drop.events';
export * from './drop/drop.state';
export * from './drop/drop.pricing';
export * from './drop/drop.ids';
export * from './drop/drop.decider';
export * from './drop/drop.allocation';
export * from './drop/drop.view';
export { dropNotFound, isPublic } from './drop/drop.decide-support';
export * from './drop/drop.schedule';
export * from './events/upcasting';
export * from './restock/reorder-point';
export * from './drop/drop.event-schemas';
export * from './events/stored-event-check';
