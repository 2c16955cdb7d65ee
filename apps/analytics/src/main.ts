import './tracing';
import 'reflect-metadata';
import { AnalyticsHandler, AnalyticsModule } from '@dropline/analytics';
import { loadConfig, readEnvironment, runMain, startConsumerService, stopOnSignals } from '@dropline/platform';

/** Analytics as its own service: consumer group `analytics` + GET /analytics/drops/:dropId, own database. */
runMain('analytics', async () => {
  const config = loadConfig(readEnvironment());
  const app = await startConsumerService(config, {
    name: 'analytics',
    database: { url: config.analytics.databaseUrl, variable: 'ANALYTICS_DATABASE_URL' },
    port: config.analytics.port,
    handler: new AnalyticsHandler(),
    module: (pool) => AnalyticsModule.forRoot({ pool }),
  });
  stopOnSignals(app, 'analytics');
});
