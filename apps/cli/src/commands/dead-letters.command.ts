import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import type { ConsumerHandler, DeadLetterRecord } from '@dropline/messaging';
import type { AppConfig } from '@dropline/platform';
import { CliCommand, CliContext, listOf, UsageError } from '../cli-command';

const CONSUMERS = ['fulfillment', 'analytics'] as const;
type ConsumerName = (typeof CONSUMERS)[number];
const ID = /^[1-9][0-9]{0,17}$/;
const REASON = /^(unparseable|unknown-schema|rejected(:[A-Z][A-Z0-9_.]{0,63})?)$/;
/** As GET /messaging/dead-letters/:consumer and its redrive. */
const MAX_PAGE = 100;

/** The consumer's handler, as its service builds it. */
async function handlerOf(consumer: ConsumerName, config: AppConfig): Promise<ConsumerHandler> {
  if (consumer === 'fulfillment') return new (await import('@dropline/fulfillment')).FulfillmentHandler(config.fulfillment.dispatchSlaDays);
  return new (await import('@dropline/analytics')).AnalyticsHandler();
}

/**
 * The consumer's own database: FULFILLMENT_DATABASE_URL / ANALYTICS_DATABASE_URL, else
 * DATABASE_URL, else the embedded DATA_DIR (which a running engine holds: then use the engine's
 * GET /messaging/dead-letters/:consumer and its redrive instead).
 */
async function openConsumerDatabase(
  consumer: ConsumerName,
  config: AppConfig,
): Promise<{ pool: Pool; describe: string; close(): Promise<void> }> {
  const { createEmbeddedDatabase, createPostgresPool } = await import('@dropline/event-store');
  const url = config[consumer].databaseUrl;
  if (url) {
    const pool = createPostgresPool(url, {
      max: 2,
      idleInTransactionTimeoutMillis: config.pgIdleInTransactionTimeoutMs,
      applicationName: `dropline-cli-${consumer}`,
    });
    return { pool, describe: `PostgreSQL database of the ${consumer} consumer`, close: () => pool.end() };
  }
  const db = await createEmbeddedDatabase({ dataDir: config.dataDir }).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    if (!/is in use by process/.test(message)) throw e;
    throw new Error(
      `${message} While the engine runs, use its GET /messaging/dead-letters/${consumer} and POST /messaging/dead-letters/${consumer}/redrive.`,
    );
  });
  return { pool: db.pool, describe: `embedded database at ${config.dataDir}`, close: () => db.close() };
}

const line = (d: DeadLetterRecord) =>
  [d.id, d.deadLetteredAt, d.reason, d.ceType ?? '-', d.ceId ?? '-', d.redriveOutcome ?? 'pending'].join('\t') + '\n';

export const command: CliCommand = {
  name: 'dead-letters',
  summary: "list a consumer's dead letters, redrive them once their cause is gone, or dismiss them",
  usage:
    'dropline dead-letters <fulfillment|analytics> [--pending] [--reason <reason>] [--after <id>] [--limit <n>] [--json]\n' +
    '       dropline dead-letters <fulfillment|analytics> --redrive <id>[,<id>…]\n' +
    '       dropline dead-letters <fulfillment|analytics> --dismiss <id>[,<id>…]   (write off what no redrive will apply)\n' +
    '       dropline dead-letters <fulfillment|analytics> --prune   (delete the ones redriven or dismissed more than DEAD_LETTER_RETENTION_DAYS ago)',
  async run(argv, context: CliContext) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        pending: { type: 'boolean' },
        reason: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        redrive: { type: 'string', multiple: true },
        dismiss: { type: 'string', multiple: true },
        prune: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
    const consumer = positionals[0] as ConsumerName;
    if (positionals.length !== 1 || !CONSUMERS.includes(consumer)) throw new UsageError(`name one consumer: ${CONSUMERS.join(' or ')}`);
    if ([values.redrive, values.dismiss, values.prune].filter((v) => v !== undefined).length > 1)
      throw new UsageError('one of --redrive, --dismiss and --prune');
    const action = values.dismiss !== undefined ? 'dismiss' : 'redrive';
    const ids = listOf(values[action]);
    // `--redrive "$IDS"` with nothing in $IDS must not list and exit 0 as if it had redriven.
    if (values[action] !== undefined && ids.length === 0) throw new UsageError(`--${action} takes at least one id`);
    for (const id of ids) if (!ID.test(id)) throw new UsageError(`--${action}: "${id}" is not a dead letter id`);
    if (ids.length > MAX_PAGE) throw new UsageError(`--${action} takes at most ${MAX_PAGE} ids`);
    const listing = (['pending', 'reason', 'after', 'limit', 'json'] as const).filter((flag) => values[flag] !== undefined);
    if ((ids.length > 0 || values.prune) && listing.length > 0)
      throw new UsageError(`--${listing[0]} is for listing: not with --${values.prune ? 'prune' : action}`);
    if (values.reason !== undefined && !REASON.test(values.reason))
      throw new UsageError('--reason must be unparseable, unknown-schema, rejected or rejected:<CODE>');
    if (values.after !== undefined && !ID.test(values.after)) throw new UsageError('--after must be a dead letter id');
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new UsageError(`--limit must be 1-${MAX_PAGE}`);

    const config = (await import('../cli-store')).cliConfig(context.env);
    const days = config.deadLetterRetentionDays;
    if (values.prune && days === 0) {
      context.stderr.write('dropline dead-letters: DEAD_LETTER_RETENTION_DAYS is 0 (keep forever): set it to the days to keep\n');
      return 2;
    }
    const { DeadLetterLedger, dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } = await import('@dropline/messaging');
    const db = await openConsumerDatabase(consumer, config);
    try {
      const handler = await handlerOf(consumer, config);
      const sink = new TableDeadLetterSink(db.pool, handler.name);
      // Dead-lettered again by a redrive: into the consumer's table (Kafka mode's topic copy is the running consumer's to write).
      const effectivelyOnce = new EffectivelyOnceConsumer(db.pool, dropEventsCodec(config.kafka.ceSource), handler, sink);
      // Never migrates: DDL on a running consumer's tables waits for their open readers and stalls
      // the consumer behind it. The consumer creates and upgrades its tables when it starts.
      const state = await sink.schemaState();
      if (state !== 'current') {
        context.stderr.write(
          state === 'missing'
            ? `dropline dead-letters: the ${db.describe} has no dead-letter table of ${consumer}: the consumer has not run against it (check the database URL or DATA_DIR)\n`
            : `dropline dead-letters: the dead-letter table of ${consumer} in the ${db.describe} is older than this release: start the consumer once (it upgrades its tables), then run this again\n`,
        );
        return 1;
      }
      const ledger = new DeadLetterLedger(db.pool, effectivelyOnce);
      if (values.prune) {
        const pruned = await ledger.prune(days);
        context.stderr.write(
          `pruned ${pruned} dead letter(s) of ${consumer} redriven or dismissed more than ${days} days ago, in the ${db.describe}\n`,
        );
        return 0;
      }
      if (ids.length > 0) {
        const results = action === 'dismiss' ? await ledger.dismiss(ids) : await ledger.redrive(ids);
        for (const r of results) context.stdout.write(`${r.id}\t${r.outcome}${r.previousOutcome ? ` (${r.previousOutcome})` : ''}\n`);
        // Done with: applied (now or by an earlier redrive), applied meanwhile, of no interest to the consumer, or written off.
        const done = new Set(['applied', 'duplicate', 'skipped', 'dismissed']);
        const open = results.filter((r) => !done.has(r.outcome === 'already-redriven' ? (r.previousOutcome ?? '') : r.outcome)).length;
        context.stderr.write(
          `${action} of ${results.length} dead letter id(s) of ${consumer} in the ${db.describe}: ${results.length - open} done with, ${open} not\n`,
        );
        return open > 0 ? 1 : 0;
      }
      const page = await ledger.list({ after: values.after, limit, pending: values.pending ?? false, reason: values.reason });
      if (values.json) context.stdout.write(`${JSON.stringify({ consumer, ...page })}\n`);
      else for (const d of page.deadLetters) context.stdout.write(line(d));
      if (page.next) context.stderr.write(`more: --after ${page.next}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
