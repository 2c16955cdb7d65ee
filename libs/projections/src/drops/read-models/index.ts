// One module per read model of a drop: its row, its event types, its pure evolve, its columns.
export * from './drop-fact';
export * from './drop-summary.read-model';
export * from './inventory.read-model';
export * from './customer-pre-orders.read-model';
export * from './production-runs.read-model';
export * from './returns-by-reason.read-model';
export * from './restock-thresholds.read-model';
