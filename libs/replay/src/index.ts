// Public API of @dropline/replay: campaign files, the replay engine, restock policies, the HTML report.
export * from './campaign/ndjson-lines';
export * from './campaign/campaign-line';
export * from './campaign/campaign-file';
export * from './campaign/campaign-series';
export * from './policies';
export * from './simulate';
export * from './replay';
export * from './replay-output';
export * from './campaign/campaign-export';
export * from './campaign/campaign-import';
export * from './report/report-html';
export * from './report/svg-chart';
// A generated campaign for benchmarks and demos (not used by the replay itself).
export { writeSyntheticCampaign, type SyntheticCampaignOptions } from './testing/synthetic-campaign';
