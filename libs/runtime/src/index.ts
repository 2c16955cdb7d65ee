export * from './lease';
export * from './event-store-lease';
export * from './backoff';
export * from './checkpoints';
export * from './log-pages';
export * from './processor';
export * from './supervisor';
