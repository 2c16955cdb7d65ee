import { readEnvironment, validateEnvironment } from '../config/environment';
import { tracingOptions } from './tracing.options';

let shutdown: () => Promise<void> = async () => undefined;

/**
 * Starts tracing for one app. Its caller is the app's `tracing.ts`, the first import of its
 * main.ts, so this runs before Nest, fastify, pg or kafkajs are required and the
 * instrumentations can patch them. Imports only the config schema, and the SDK only when tracing
 * is on (loading it costs a few hundred milliseconds of every start). An invalid environment
 * leaves tracing off here; the app's own loadConfig reports it and exits.
 */
export function startAppTracing(defaultServiceName: string): void {
  let env;
  try {
    env = validateEnvironment(readEnvironment());
  } catch {
    return;
  }
  const options = tracingOptions(env, defaultServiceName);
  if (!options.enabled) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK is loaded only when tracing is on
  const { startTracing } = require('./tracing') as typeof import('./tracing');
  const sdk = startTracing(options);
  if (sdk) shutdown = () => sdk.shutdown();
}

/** Flushes the spans still buffered and stops the SDK (a no-op when tracing is off); apps call it before exiting. */
export function stopAppTracing(): Promise<void> {
  return shutdown().catch(() => undefined);
}
