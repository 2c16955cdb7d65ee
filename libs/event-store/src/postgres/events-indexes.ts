import type { Pool, PoolClient } from 'pg';

/** An index schema.sql declares on `events`. */
export interface EventsIndex {
  name: string;
  unique: boolean;
  /** What follows `ON events` up to the statement's end: the columns, and WHERE for a partial index. */
  definition: string;
}

const EVENTS_INDEX = /CREATE (UNIQUE )?INDEX IF NOT EXISTS (\w+) ON events (.+?);/gs;

/** The indexes `ddl` (schema.sql) declares on `events`, in its order. */
export function eventsIndexesOf(ddl: string): EventsIndex[] {
  return [...ddl.matchAll(EVENTS_INDEX)].map(([, unique, name, definition]) => ({
    name: name!,
    unique: unique !== undefined,
    definition: definition!.replace(/\s+/g, ' ').trim(),
  }));
}

// Any constant works; the same in every process that boots against this database.
const INDEX_BUILD_LOCK_KEY = 0x64726f72;
const BUILDER_POLL_MS = 1_000;

/**
 * Builds each index schema.sql declares on an existing `events` that the database lacks, or holds
 * invalid (a concurrent build that was interrupted leaves its index behind, used by no query), with
 * CREATE INDEX CONCURRENTLY, before the schema transaction runs. Run in that transaction, a plain
 * CREATE INDEX holds a SHARE lock on `events` for the whole build: a release that adds an index
 * (events_causation_idx came with causation lookups) stalled every append of every running
 * instance for as long as the build over the whole log took. A concurrent build takes SHARE UPDATE
 * EXCLUSIVE, which no append, read or page conflicts with; the schema transaction then finds the
 * index there. Nothing to do on an empty database (the transaction creates the indexes with the
 * table) or an up-to-date one: one catalog query.
 *
 * One instance builds, holding a session advisory lock; one starting meanwhile waits for it rather
 * than running its schema transaction, whose CREATE INDEX IF NOT EXISTS would queue behind the
 * build (and give way until its retries ran out). A builder that dies releases the lock with its
 * session, and the next start drops what it left and builds again. Returns the indexes built.
 */
export async function buildMissingEventsIndexes(
  pool: Pool,
  indexes: readonly EventsIndex[],
  log: (message: string) => void = () => undefined,
): Promise<string[]> {
  if ((await indexesToBuild(pool, indexes)).length === 0) return [];
  const client = await pool.connect();
  try {
    for (let waited = false; ; waited = true) {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [INDEX_BUILD_LOCK_KEY]);
      if (rows[0]!.got) break;
      if (!waited) log('event store schema: another instance is building an index on the log; waiting for it');
      await new Promise((resolve) => setTimeout(resolve, BUILDER_POLL_MS));
    }
    try {
      return await buildEach(client, await indexesToBuild(client, indexes), log);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [INDEX_BUILD_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function buildEach(client: PoolClient, indexes: Array<EventsIndex & { invalid: boolean }>, log: (message: string) => void) {
  const built: string[] = [];
  if (indexes.length === 0) return built;
  // However long the log: a statement_timeout given in DATABASE_URL must not cancel the build.
  await client.query('SET statement_timeout = 0');
  try {
    for (const index of indexes) {
      const started = Date.now();
      log(`event store schema: building index ${index.name} on the log without blocking appends (CREATE INDEX CONCURRENTLY)`);
      if (index.invalid) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
      await client.query(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${index.name} ON events ${index.definition}`,
      );
      log(`event store schema: index ${index.name} built in ${Date.now() - started} ms`);
      built.push(index.name);
    }
  } finally {
    await client.query('RESET statement_timeout');
  }
  return built;
}

/** Those of `indexes` that an existing `events` lacks or holds invalid; none when there is no `events` yet. */
async function indexesToBuild(
  db: Pick<Pool, 'query'>,
  indexes: readonly EventsIndex[],
): Promise<Array<EventsIndex & { invalid: boolean }>> {
  const { rows } = await db.query<{ log: boolean; valid: Record<string, boolean> }>(
    `SELECT to_regclass('events') IS NOT NULL AS log,
            coalesce((SELECT json_object_agg(c.relname, x.indisvalid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                       WHERE x.indrelid = to_regclass('events')), '{}') AS valid`,
  );
  if (!rows[0]!.log) return [];
  const valid = rows[0]!.valid;
  return indexes.filter((index) => valid[index.name] !== true).map((index) => ({ ...index, invalid: valid[index.name] === false }));
}
