import './tracing';
import 'reflect-metadata';
import { ENGINE_COMMANDS, FulfillmentHandler, FulfillmentModule, HttpEngineCommands } from '@dropline/fulfillment';
import { loadConfig, readEnvironment, runMain, startConsumerService, stopOnSignals } from '@dropline/platform';

/** Fulfillment as its own service: consumer group `fulfillment` + its HTTP routes, own database. */
runMain('fulfillment', async () => {
  const config = loadConfig(readEnvironment());
  const engine = new HttpEngineCommands(config.engineUrl, config.engineServiceToken);
  const app = await startConsumerService(config, {
    name: 'fulfillment',
    database: { url: config.fulfillment.databaseUrl, variable: 'FULFILLMENT_DATABASE_URL' },
    port: config.fulfillment.port,
    handler: new FulfillmentHandler(config.fulfillment.dispatchSlaDays),
    module: (pool) => FulfillmentModule.forRoot({ pool, now: () => new Date(), engine: { provide: ENGINE_COMMANDS, useValue: engine } }),
    describe: `reporting to ${config.engineUrl}`,
  });
  stopOnSignals(app, 'fulfillment');
});
