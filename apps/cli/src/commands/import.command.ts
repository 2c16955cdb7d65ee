import { parseArgs } from 'node:util';
import {
  EventIdsTakenError,
  importCampaignEvents,
  ImportTarget,
  readCampaignEvents,
  StreamHistoryDivergedError,
  StreamsAlreadyExistError,
} from '@dropline/replay';
import type { Pool } from 'pg';
import { CliCommand, pathFromCaller, readableFile, UsageError, type CliOutput } from '../cli-command';
import { ProgressBar } from '../progress-bar';

export const command: CliCommand = {
  name: 'import',
  summary: 'validate a campaign file, then load it into a fresh sandbox store (or, when told, the configured one)',
  usage:
    'dropline import <campaign.ndjson> [--sandbox <dir> (default ./dropline-sandbox) | --into-configured-store] [--allow-existing-streams]',
  async run(argv, context) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { sandbox: { type: 'string' }, 'into-configured-store': { type: 'boolean' }, 'allow-existing-streams': { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one campaign file');
    if (values.sandbox !== undefined && values['into-configured-store'])
      throw new UsageError('--sandbox and --into-configured-store exclude each other');
    // The whole file is read and checked before a sandbox is created or a store opened: a mistyped
    // file name or a bad line must not leave a database behind.
    const file = await readableFile(context, positionals[0]);
    const bar = new ProgressBar(context.stderr, 'import');
    const onProgress = (p: { linesRead: number; bytesRead: number; totalBytes: number | undefined }) =>
      bar.update(p.linesRead, p.totalBytes ? p.bytesRead / p.totalBytes : undefined);
    let events;
    try {
      events = await readCampaignEvents(file, { onProgress });
    } finally {
      bar.finish();
    }

    let target: ImportTarget;
    let where: string;
    let close: () => Promise<void>;
    if (values['into-configured-store']) {
      const opened = await (await import('../cli-store')).openConfiguredStore(context.env, context.stderr);
      target = opened.storePool ? { kind: 'postgres', pool: opened.storePool } : { kind: 'store', store: opened.store };
      where = opened.describe;
      close = opened.close;
      if (opened.storePool && opened.server) await warnOfRunningReaders(opened.storePool, events.length, context.stderr);
    } else {
      const dir = pathFromCaller(context, values.sandbox ?? './dropline-sandbox');
      const { createEmbeddedDatabase, ensureEventStoreSchema } = await import('@dropline/event-store');
      const db = await createEmbeddedDatabase({ dataDir: dir });
      await ensureEventStoreSchema(db.pool);
      target = { kind: 'postgres', pool: db.pool };
      where = `sandbox ${dir}`;
      close = () => db.close();
    }
    try {
      const result = await importCampaignEvents(events, target, { allowExistingStreams: values['allow-existing-streams'] });
      context.stderr.write(
        `imported ${result.imported} events into ${result.streams} streams of the ${where}${result.skippedDuplicates ? ` (${result.skippedDuplicates} already there, skipped)` : ''}` +
          `${target.kind === 'postgres' ? ', in one transaction' : ''}\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof StreamsAlreadyExistError) {
        context.stderr.write(`${e.message} (--allow-existing-streams)\nnothing imported\n`);
        return 1;
      }
      if (e instanceof StreamHistoryDivergedError || e instanceof EventIdsTakenError) {
        context.stderr.write(`dropline import: ${e.message}\nnothing imported\n`);
        return 1;
      }
      throw e;
    } finally {
      await close();
    }
  },
};

/**
 * One transaction holds PostgreSQL's safe horizon, which is cluster-wide, until it commits: every
 * running reader of the log (projections, relay, consumers) sees nothing newer meanwhile, its lag
 * grows, and past READY_MAX_LAG_SECONDS every engine's /health/ready answers 503 (docs/operations.md,
 * "Readiness"). Said before the import starts when other sessions hold Dropline's leases (session
 * advisory locks) on this database, i.e. when engines or their readers run against it.
 */
async function warnOfRunningReaders(pool: Pool, events: number, stderr: CliOutput): Promise<void> {
  const { rows } = await pool.query<{ sessions: number }>(
    `select count(distinct pid)::int as sessions from pg_locks
      where locktype = 'advisory' and granted and pid <> pg_backend_pid()
        and database = (select oid from pg_database where datname = current_database())`,
  );
  const sessions = rows[0]!.sessions;
  if (sessions === 0) return;
  stderr.write(
    `dropline import: ${sessions} other session(s) hold Dropline leases on this database: engines or their readers are running. ` +
      `The import of ${events} events is one transaction, and until it commits every reader of the log waits behind it ` +
      `(their lag grows; past READY_MAX_LAG_SECONDS /health/ready answers 503). Import a large file with the engines stopped.\n`,
  );
}
