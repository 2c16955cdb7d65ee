export * from './lease';
export * from './event-store-lease';
