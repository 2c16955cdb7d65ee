// Public API of @dropline/analytics: the analytics consumer and its routes.
export * from './analytics.controller';
export * from './analytics.handler';
export * from './analytics.module';
export * from './analytics.queries';
