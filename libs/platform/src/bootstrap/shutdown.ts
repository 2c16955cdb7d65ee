import { Logger } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { stopAppTracing } from '../telemetry/tracing-preload';

/** Longest a graceful shutdown may take before the process exits anyway (a stuck connection must not block a deploy). */
export const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Stops a Dropline process on SIGTERM or SIGINT, the same way for the engine and every app:
 * logs the signal, closes `app` (its destroy and shutdown hooks, then whatever its close() was
 * extended with: pools, stores, consumers leaving their group), exports the spans still
 * buffered, logs `stopped cleanly` and exits 0. A close that fails, or takes longer than the
 * deadline, exits 1. (Nest's enableShutdownHooks re-raises the signal, so a supervisor saw exit
 * 143 with nothing logged, and it skips an extended close().)
 *
 * An HTTP app keeps closing idle keep-alive connections while it stops: Node closes the idle
 * ones once when the server starts closing, and a connection whose request was in flight then
 * becomes idle later and would hold the close open until its keep-alive timeout.
 *
 * Returns the handler, for a signal that came while the process was starting.
 */
export function stopOnSignals(
  app: INestApplicationContext,
  name: string,
  deadlineMs = SHUTDOWN_DEADLINE_MS,
): (signal: NodeJS.Signals) => void {
  const logger = new Logger(name.charAt(0).toUpperCase() + name.slice(1));
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // One drain per process. A repeat is ignored, not fatal: Ctrl-C on `npm start` reaches the
    // process twice (from the terminal and forwarded by npm); the 15 s deadline bounds the drain.
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining and shutting down`);
    setTimeout(() => {
      process.stderr.write(`Dropline ${name} did not stop within ${deadlineMs} ms; exiting\n`);
      process.exit(1);
    }, deadlineMs).unref();
    const server = httpServerOf(app);
    if (server) setInterval(() => server.closeIdleConnections?.(), 100).unref();
    app
      .close()
      .then(() => stopAppTracing())
      .then(() => {
        logger.log('stopped cleanly');
        process.exit(0);
      })
      .catch((e: unknown) => {
        process.stderr.write(`Dropline ${name} shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return shutdown;
}

function httpServerOf(app: INestApplicationContext): { closeIdleConnections?: () => void } | undefined {
  const getHttpServer = (app as { getHttpServer?: () => unknown }).getHttpServer;
  return typeof getHttpServer === 'function' ? (getHttpServer.call(app) as { closeIdleConnections?: () => void }) : undefined;
}

/** What a Dropline process closes around Nest's own close: `before` its hooks run, `after` they and the HTTP server are done. */
export interface CloseExtension {
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

/**
 * Extends `app.close()` with what the process opened outside Nest (pools, stores, a consumer and
 * its metrics server). Not by assignment: the app NestFactory returns sits behind proxies whose
 * set trap keeps the method it has, so `app.close = …` did nothing, silently, and the engine,
 * projector, relay and consumer services exited after "stopped cleanly" without closing any of
 * it (the embedded engine never closed PGlite, so every start after a clean stop recovered its
 * DATA_DIR as after a crash). Defining the property goes through to the application itself, and
 * the proxies call it from there. Extensions stack: a second one wraps the first.
 */
export function extendClose(app: INestApplicationContext, extension: CloseExtension): void {
  type Close = (this: unknown, ...args: unknown[]) => Promise<void>;
  // Reflection is not trapped by Nest's proxies: this reads the application's own close, or its class's.
  const inner = (Object.getOwnPropertyDescriptor(app, 'close')?.value ?? (Object.getPrototypeOf(app) as { close: Close }).close) as Close;
  Object.defineProperty(app, 'close', {
    configurable: true,
    writable: true,
    value: async function close(this: unknown, ...args: unknown[]): Promise<void> {
      await extension.before?.();
      await inner.apply(this, args);
      await extension.after?.();
    },
  });
}
