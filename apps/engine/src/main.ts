// First, before the modules load: a stop asked for meanwhile is kept (starting-signals.ts).
import { startingSignals, stopTakingStartingSignals } from './starting-signals';
import './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import {
  AUTH_SETUP,
  AuthSetup,
  ConfigError,
  DEV_TOKENS_TITLE,
  devTokenBanner,
  devTokens,
  loadConfigOrExit,
  readEnvironment,
  resolveLogFormat,
  SHUTDOWN_DEADLINE_MS,
  stopOnSignals,
} from '@dropline/platform';
import { createEngine } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit(readEnvironment());
  const logger = new Logger('Engine');
  // A stop asked for while the engine starts (a deploy rolled back, Ctrl-C on a first start that
  // creates its DATA_DIR) waits for the start to finish, then shuts down as below: killed
  // half-way, it left its DATA_DIR lock and exited 143. A second signal ends it at once; one
  // start that does not finish within the deadline, too.
  let startDeadline: NodeJS.Timeout | undefined;
  const whileStarting = (signal: NodeJS.Signals) => {
    logger.log(`${signal} received while starting: stopping once started`);
    startDeadline = setTimeout(() => {
      process.stderr.write(`Dropline engine did not finish starting within ${SHUTDOWN_DEADLINE_MS} ms of ${signal}; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };
  if (startingSignals.received) whileStarting(startingSignals.received);
  startingSignals.onSignal = whileStarting;
  const app = await createEngine(config, { shutdownHooks: false });
  // Graceful shutdown: Nest's close() first runs the destroy hooks, then closes the HTTP
  // server (no new connections; requests on kept-alive ones get 503; in-flight requests
  // finish, so their batches are appended and answered), then the shutdown hooks drain
  // the batching writer, stop the scheduler and workers (storing their checkpoints), and
  // finally the stores are closed.
  const shutdown = stopOnSignals(app, 'engine');
  // Only now, with the running engine's listeners on (see stopTakingStartingSignals).
  stopTakingStartingSignals();
  clearTimeout(startDeadline);
  if (startingSignals.received) return shutdown(startingSignals.received);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The embedded development engine (never production: setUpAuth) shows its tokens once per start,
  // whatever LOG_LEVEL says: a marked block on a terminal, one log line carrying them as JSON.
  const setup = app.get<AuthSetup>(AUTH_SETUP);
  if (resolveLogFormat(config.logFormat) === 'pretty') {
    const banner = await devTokenBanner(setup);
    if (banner) process.stdout.write(`${banner}\n`);
  } else {
    const tokens = await devTokens(setup);
    if (tokens) PinoLogger.root.child({ context: 'Engine' }, { level: 'info' }).info({ devTokens: tokens }, DEV_TOKENS_TITLE);
  }
  logger.log(
    `Dropline engine listening on http://localhost:${port} (store: ${config.eventStore}, data: ${config.eventStore === 'pglite' || !config.databaseUrl ? config.dataDir : 'PostgreSQL'}); API docs at http://localhost:${port}/docs`,
  );
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Dropline engine failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
