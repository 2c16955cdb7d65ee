import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Pool } from 'pg';
import { CommandBus } from '@nestjs/cqrs';
import { createEmbeddedDatabase, createPostgresPool, ensureEventStoreSchema, EventStore, PostgresEventStore } from '@dropline/event-store';
import { createEngine } from '../../../apps/engine/src/app';
import { denyAllAuth, loadConfig, ManualClock } from '@dropline/platform';
import type { Databases } from '@dropline/platform';
import { ScheduleDropCommand } from '../../../apps/engine/src/drops/schedule-drop/schedule-drop.command';
import { OpenPreOrderWindowCommand } from '../../../apps/engine/src/drops/open-pre-order-window/open-pre-order-window.command';
import { benchContext, hotDropDefinition } from './drops';

/** When the in-process benchmarks happen, in domain time: inside every bench drop's window. */
export const BENCH_NOW = '2026-12-02T10:00:00.000Z';
export const BENCH_OPENS_AT = '2026-12-01T10:00:00.000Z';

export interface InProcessEngine {
  app: NestFastifyApplication;
  bus: CommandBus;
  store: EventStore;
  /** The database under the store (PostgreSQL pool or PGlite's pg-compatible pool). */
  pool: Pool;
  clock: ManualClock;
  close(): Promise<void>;
}

export type StoreKind = 'postgres' | 'pglite';

/**
 * The real engine app (NestJS modules, CommandBus, handlers, the batching writer), not
 * listening: commands go straight onto its CommandBus. Background workers are off so the
 * numbers are the command path's alone.
 */
export async function startInProcessEngine(
  kind: StoreKind,
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
): Promise<InProcessEngine> {
  let databases: Databases;
  let pool: Pool;
  if (kind === 'postgres') {
    const server = createPostgresPool(databaseUrl!, { connectionTimeoutMillis: 5000 });
    pool = server;
    await ensureEventStoreSchema(server);
    const store = new PostgresEventStore(server);
    databases = {
      store,
      readModels: server,
      embedded: false,
      close: async () => {
        await store.close();
        await server.end();
      },
    };
  } else {
    // A data directory on disk, as `npm start` uses (memory:// would flatter PGlite).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dropline-bench-'));
    const db = await createEmbeddedDatabase({ dataDir: dir });
    pool = db.pool;
    await ensureEventStoreSchema(db.pool);
    const store = new PostgresEventStore(db.pool);
    databases = {
      store,
      readModels: db.pool,
      embedded: true,
      close: async () => {
        await store.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const config = loadConfig({
    LOG_LEVEL: 'error',
    RUN_SCHEDULER: 'false',
    RUN_PROJECTIONS: 'false',
    RUN_RELAY: 'false',
    RUN_CONSUMERS: 'false',
    EVENT_STORE: kind,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const clock = new ManualClock(new Date(BENCH_NOW));
  // The bench drives the CommandBus, not HTTP: no token verification key is needed (a server store would otherwise require JWT_*).
  const app = await createEngine(config, { databases, clock, auth: denyAllAuth() });
  await app.init();
  return {
    app,
    bus: app.get(CommandBus),
    store: databases.store,
    pool,
    clock,
    close: async () => {
      await app.close();
      await databases.close();
    },
  };
}

/** Schedules and opens a one-variant drop through the CommandBus. */
export async function openHotDrop(bus: CommandBus, dropId: string, cap: number): Promise<void> {
  await bus.execute(new ScheduleDropCommand({ dropId, definition: hotDropDefinition(cap, BENCH_OPENS_AT) }, benchContext(BENCH_NOW)));
  await bus.execute(new OpenPreOrderWindowCommand({ dropId }, benchContext(BENCH_NOW)));
}

/**
 * Units of PreOrderPlaced stored in a stream, counted by the database itself (the oversell
 * check does not trust the adapter's read path it is checking).
 */
export async function unitsPlaced(pool: Pool, streamName: string): Promise<number> {
  const { rows } = await pool.query<{ units: string }>(
    `SELECT coalesce(sum((data->>'quantity')::int), 0)::text AS units FROM events WHERE stream_name = $1 AND type = 'PreOrderPlaced'`,
    [streamName],
  );
  return Number(rows[0].units);
}
