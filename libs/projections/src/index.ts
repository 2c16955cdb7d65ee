// Public API of @dropline/projections: checkpointed, batched, rebuildable read models.
export * from './projection';
export * from './upsert';
export * from './projection-runner';
export * from './row-set';
export * from './drops/read-models';
export * from './drops/drop-read-models.executor';
export * from './drops/drop-read-models.projection';
export * from './restock/restock.reactor';
export * from './typeorm/read-models.entities';
export * from './typeorm/read-models.migrations';
export * from './typeorm/read-models.data-source';
