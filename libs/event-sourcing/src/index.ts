export * from './envelope';
export * from './aggregate-writer';
