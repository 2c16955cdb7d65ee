import { Logger, LoggerService } from '@nestjs/common';
import type { EventStore } from '@dropline/event-store';
import type { Pool } from 'pg';
import { ConfigError, loadConfig, openDatabases, readEnvironment, type AppConfig } from '@dropline/platform';
import { UsageError, type CliOutput } from './cli-command';

/** The configured event store, opened the way the engine opens it (same variables, same defaults). */
export interface ConfiguredStore {
  store: EventStore;
  /** The store's own PostgreSQL/PGlite pool when there is one (one-transaction imports use it). */
  storePool: Pool | undefined;
  describe: string;
  /** A PostgreSQL server that other processes (engines) may be using, not an embedded store this process alone opened. */
  server: boolean;
  close(): Promise<void>;
}

/** Nest's default logger writes to stdout, which belongs to the command's result here. */
export function stderrLogger(stderr: CliOutput): LoggerService {
  const line = (level: string) => (message: unknown) => void stderr.write(`[${level}] ${String(message)}\n`);
  return { log: () => undefined, error: line('error'), warn: line('warn'), debug: () => undefined, verbose: () => undefined };
}

/** The configuration the engine would load from `env` (the process's when unset); a bad variable is a usage error (exit 2). */
export function cliConfig(env: Record<string, string | undefined> | undefined): AppConfig {
  try {
    return loadConfig(env ?? readEnvironment());
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}

/** Opens the store EVENT_STORE / DATA_DIR / DATABASE_URL / ESDB_CONNECTION_STRING name. */
export async function openConfiguredStore(
  env: Record<string, string | undefined> | undefined,
  stderr: CliOutput,
): Promise<ConfiguredStore> {
  const config = cliConfig(env);
  Logger.overrideLogger(stderrLogger(stderr));
  const databases = await openDatabases(config);
  // openDatabases gives the read-model pool; it is the store's pool when both live in the same database.
  const samePool = config.eventStore === 'postgres' || (config.eventStore === 'pglite' && !config.databaseUrl);
  return {
    store: databases.store,
    storePool: samePool ? databases.readModels : undefined,
    describe:
      config.eventStore === 'pglite'
        ? `embedded store at ${config.dataDir}`
        : config.eventStore === 'postgres'
          ? 'PostgreSQL store'
          : 'EventStoreDB',
    server: config.eventStore === 'postgres',
    close: () => databases.close(),
  };
}
