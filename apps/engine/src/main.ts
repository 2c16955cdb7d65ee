import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/app-config';
import { createEngine } from './app';

async function main(): Promise<void> {
  let config;
  try {
    // The only place that reads process.env.
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const app = await createEngine(config);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  new Logger('Engine').log(`Dropline engine listening on http://localhost:${port} (store: ${config.eventStore}, data: ${config.eventStore === 'pglite' || !config.databaseUrl ? config.dataDir : 'PostgreSQL'}); API docs at http://localhost:${port}/docs`);
}

main().catch((e: unknown) => {
  process.stderr.write(`Dropline engine failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
