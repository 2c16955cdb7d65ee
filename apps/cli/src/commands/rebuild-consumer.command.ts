import { parseArgs } from 'node:util';
import { CliCommand, CliContext, UsageError } from '../cli-command';

const CONSUMERS = ['fulfillment', 'analytics'] as const;
type ConsumerName = (typeof CONSUMERS)[number];

/** `20261202T031500Z`: the suffix of the copy of a consumer's dead letters. */
const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/**
 * docs/operations.md, "Rebuilding a consumer's tables": drops an in-process consumer's schema and
 * its `consumer:<name>` checkpoint in one transaction, so the engines' next start applies the whole
 * log again. It holds the consumer's lease while it does, so it refuses while an engine runs that
 * consumer (embedded: the DATA_DIR lock refuses first). The consumer's dead letters are copied to
 * `public.<name>_dead_letters_<time>` first: the audit of what was redriven or dismissed survives.
 */
export const command: CliCommand = {
  name: 'rebuild-consumer',
  summary: "drop an in-process consumer's tables and checkpoint so the engines rebuild them from the log (engines stopped)",
  usage: 'dropline rebuild-consumer <fulfillment|analytics> --yes [--group-stopped]   (--group-stopped: required with KAFKA_BROKERS)',
  async run(argv, context: CliContext) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { yes: { type: 'boolean' }, 'group-stopped': { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    const consumer = positionals[0] as ConsumerName;
    if (positionals.length !== 1 || !CONSUMERS.includes(consumer)) throw new UsageError(`name one consumer: ${CONSUMERS.join(' or ')}`);
    if (!values.yes) throw new UsageError(`this drops the ${consumer} schema (its rows, ce_ids and dead letters): confirm with --yes`);

    const { LeaseFactory, openDatabases } = await import('@dropline/platform');
    const { cliConfig, stderrLogger } = await import('../cli-store');
    const config = cliConfig(context.env);
    if (config[consumer].databaseUrl !== config.databaseUrl) {
      context.stderr.write(
        `dropline rebuild-consumer: ${consumer} has its own database (${consumer.toUpperCase()}_DATABASE_URL): it runs as its own service on Kafka; rebuild it as docs/operations.md says for consumer groups\n`,
      );
      return 2;
    }
    // With Kafka the consumers are group members, which take no lease: nothing here can tell whether one runs.
    const group = `${config.kafka.groupPrefix}${consumer}`;
    if (config.kafkaBrokers.length > 0 && !values['group-stopped']) {
      context.stderr.write(
        `dropline rebuild-consumer: KAFKA_BROKERS is set, so ${consumer} runs as consumer group ${group}, which holds no lease this command could check. ` +
          `Stop every member of it (every engine with RUN_CONSUMERS, or apps/${consumer}), then run this again with --group-stopped; ` +
          `before you start them, reset the group's offsets or have the relay publish again (docs/operations.md).\n`,
      );
      return 2;
    }
    const { CheckpointStore } = await import('@dropline/runtime');
    const { Logger } = await import('@nestjs/common');
    Logger.overrideLogger(stderrLogger(context.stderr));
    const databases = await openDatabases(config);
    const lease = new LeaseFactory(config, databases).create(`consumer:${consumer}`);
    try {
      if (!(await lease.tryAcquire())) {
        context.stderr.write(
          `dropline rebuild-consumer: the lease consumer:${consumer} is held: an engine runs ${consumer}. Stop every engine (or start them with RUN_CONSUMERS=false), then run this again.\n`,
        );
        return 1;
      }
      const pool = databases.readModels;
      await new CheckpointStore(pool).ensureSchema();
      const copy = `${consumer}_dead_letters_${stamp(new Date())}`.toLowerCase();
      const client = await pool.connect();
      let kept = 0;
      try {
        await client.query('begin');
        const { rows } = await client.query<{ t: string | null }>('select to_regclass($1)::text as t', [`${consumer}.dead_letters`]);
        if (rows[0].t !== null) {
          kept = (await client.query(`create table public.${copy} as select * from ${consumer}.dead_letters`)).rowCount ?? 0;
        }
        await client.query(`drop schema if exists ${consumer} cascade`);
        await client.query('delete from dropline_checkpoints where name = $1', [`consumer:${consumer}`]);
        await client.query('commit');
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
      context.stderr.write(
        `dropped the ${consumer} schema and its checkpoint${kept > 0 ? `; its ${kept} dead letter(s) are kept in public.${copy}` : ''}. ` +
          `Start the engines: ${consumer} applies the whole log again (GET /messaging/status shows its lag).\n`,
      );
      if (config.kafkaBrokers.length > 0)
        context.stderr.write(
          `KAFKA_BROKERS is set: group ${group} reads the topic, not the log. Reset its offsets or have the relay publish again (docs/operations.md) before you start it.\n`,
        );
      return 0;
    } finally {
      await lease.release().catch(() => undefined);
      await databases.close();
    }
  },
};
