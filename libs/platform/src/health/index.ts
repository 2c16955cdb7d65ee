export { LagRegistry } from './lag-registry';
export type { DependencyProbe, LagReporter } from './lag-registry';
export { HealthModule } from './health.module';
