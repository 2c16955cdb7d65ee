// Public API of @dropline/read-models: the read-model module (projector service, read-model and admin routes).
export * from './admin-projections.controller';
export * from './admin-projections.dto';
export * from './projector.service';
export * from './read-models.answers.dto';
export * from './read-models.controller';
export * from './read-models.dto';
export * from './read-models.module';
export * from './storefront.dto';
export * from './storefront.reader';
