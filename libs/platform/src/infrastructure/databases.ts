import { Logger } from '@nestjs/common';
import {
  createEmbeddedDatabase,
  createPostgresPool,
  ensureEventStoreSchema,
  EventStore,
  openEventStoreDb,
  PostgresEventStore,
  SharedLogReads,
  warnOfLockWaits,
} from '@dropline/event-store';
import type { Pool } from 'pg';
import type { AppConfig } from '../config/app-config';

/**
 * How long the embedded store's caught-up readers go without a query while nothing is appended
 * (SharedLogReads' soleWriterRecheckMs): an idle engine polled PGlite 30+ times a second.
 */
const SOLE_WRITER_RECHECK_MS = 1_000;

/** The engine's two storage roles: the event store and the PostgreSQL-compatible database of the read models. */
export interface Databases {
  store: EventStore;
  /** Read models, checkpoints and leases. PGlite (one shared connection) unless DATABASE_URL is set. */
  readModels: Pool;
  /** True when readModels is the embedded single-connection PGlite (leases are then process-local). */
  embedded: boolean;
  close(): Promise<void>;
}

/** Opens the stores the configuration names. Fails fast with a clear error when one cannot be reached. */
export async function openDatabases(config: AppConfig): Promise<Databases> {
  const logger = new Logger('Databases');
  const closers: Array<() => Promise<void>> = [];
  let embeddedPool: Pool | undefined;
  const embedded = async (): Promise<Pool> => {
    if (!embeddedPool) {
      const db = await createEmbeddedDatabase({ dataDir: config.dataDir });
      closers.push(() => db.close());
      embeddedPool = db.pool;
      logger.log(`embedded PGlite at ${config.dataDir}`);
    }
    return embeddedPool as Pool;
  };
  const serverPools = new Map<string, Pool>();
  // The event store and the read models get separate pools on a server: a burst of
  // read-model queries must not queue the hot path's appends behind it.
  const server = (role: 'store' | 'read-models'): Pool => {
    let serverPool = serverPools.get(role);
    if (!serverPool) {
      const pool = createPostgresPool(config.databaseUrl!, {
        connectionTimeoutMillis: config.storeConnectTimeoutMs,
        idleInTransactionTimeoutMillis: config.pgIdleInTransactionTimeoutMs,
        applicationName: `dropline-${role}`,
      });
      // A checked-out client between two queries (inside a transaction, or a held lease) that
      // loses its connection emits 'error'; pg's pool only listens while the client is idle,
      // so without this listener an outage would crash the process instead of failing the
      // work in hand (which then answers 503 STORE.UNAVAILABLE and is retried).
      pool.on('connect', (client) => client.on('error', (e) => logger.warn(`PostgreSQL connection lost: ${e.message}`)));
      closers.push(() => pool.end());
      serverPool = pool;
      serverPools.set(role, pool);
    }
    return serverPool;
  };

  // undefined keeps each store's own default (docs/event-store.md, "Append size").
  const maxAppendBytes = config.eventStoreMaxAppendBytes;
  let store: EventStore;
  switch (config.eventStore) {
    case 'pglite': {
      const pool = await embedded();
      await ensureEventStoreSchema(pool, { log: (m) => logger.log(m) });
      // The process's readers of the log share one read of its head (shared-log-reads.ts). It alone
      // writes to DATA_DIR (its lock), so a caught-up reader's poll needs no query until an append.
      store = new SharedLogReads(new PostgresEventStore(pool, { maxAppendBytes }), { soleWriterRecheckMs: SOLE_WRITER_RECHECK_MS });
      break;
    }
    case 'postgres': {
      const pool = server('store');
      await ensureEventStoreSchema(pool, {
        ...warnOfLockWaits('event store schema', (m) => logger.warn(m), { pool, tables: ['events', 'streams'] }),
        log: (m) => logger.log(m),
      });
      store = new SharedLogReads(new PostgresEventStore(pool, { maxAppendBytes }));
      break;
    }
    case 'eventstoredb':
      store = openEventStoreDb(config.esdbConnectionString!, {
        deadlineMs: config.esdbDeadlineMs,
        maxAppendBytes,
      });
      break;
    default: {
      const never: never = config.eventStore;
      throw new Error(`unknown event store ${String(never)}`);
    }
  }
  closers.unshift(() => store.close());
  const readModels = config.databaseUrl ? server('read-models') : await embedded();
  return {
    store,
    readModels,
    embedded: !config.databaseUrl,
    close: async () => {
      for (const close of closers) await close().catch((e) => logger.warn(`close failed: ${String(e)}`));
    },
  };
}
