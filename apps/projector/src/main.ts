import './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  applyHttpEdge,
  applyInputLimits,
  ConfigError,
  extendClose,
  httpServerOptions,
  loadConfigOrExit,
  Metrics,
  observeHttp,
  openDatabases,
  ProblemFilter,
  readEnvironment,
  setUpAuth,
  stopOnSignals,
  useBootLogger,
  useHttpTracing,
  useStructuredLogs,
  useCompiledValidation,
  withLogging,
} from '@dropline/platform';
import { ProjectorModule } from './projector.module';

/**
 * Runs the projections apart from the API (engine with RUN_PROJECTIONS=false). Same config
 * variables as the engine; it serves the read-model and health routes on PORT too. Several
 * instances may run: the per-projection lease lets one write, the others stand by.
 */
async function main(): Promise<void> {
  let config = loadConfigOrExit(readEnvironment());
  // The projector exists to project: RUN_PROJECTIONS applies to the engine, not to it.
  config = { ...config, run: { ...config.run, projections: true } };
  useBootLogger(config, 'projector');
  // The engine's token checks (JWT_* as the engine's; a ConfigError names what is missing).
  const auth = await setUpAuth(config);
  const databases = await openDatabases(config);
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging(ProjectorModule.forRoot({ config, databases, auth }), config, 'projector'),
    new FastifyAdapter(httpServerOptions(config.http)),
    { bufferLogs: true },
  );
  useStructuredLogs(app);
  useHttpTracing(app);
  // An internal service: the edge without rate limits (docs/security.md, "Limits"); its routes take tokens.
  await applyHttpEdge(app, config.http, undefined);
  if (config.metrics.enabled) observeHttp(app, app.get(Metrics));
  applyInputLimits(app);
  useCompiledValidation(app);
  app.useGlobalFilters(new ProblemFilter());
  extendClose(app, { after: () => databases.close() });
  // Started (checkpoint migrations, supervisor) before a signal may close it: a close under the
  // start would end the pools beneath it. A signal until then ends the process at once.
  await app.init();
  stopOnSignals(app, 'projector');
  await app.listen(config.port, config.host);
  new Logger('Projector').log(`Dropline projector listening on port ${config.port}`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Dropline projector failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
