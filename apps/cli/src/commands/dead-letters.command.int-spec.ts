import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalyticsHandler } from '@dropline/analytics';
import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { createEmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import { FulfillmentHandler } from '@dropline/fulfillment';
import { dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } from '@dropline/messaging';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../../test/support/postgres';
import { DROP_ID, placed, T_DURING } from '../../../../libs/domain/src/testing/drop.fixtures';
import { runCli } from '../main';
import { capturedIo as capture } from '../testing/captured-io';

const codec = dropEventsCodec('/dropline/test');

/** A PreOrderPlaced as the decider writes it, as the store would record it. */
function placedPreOrder(): RecordedEvent {
  const event = placed({ sequence: 1 });
  return {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: EVENT_SCHEMA_VERSIONS[event.type],
    data: event.data as Record<string, unknown>,
    metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: T_DURING, traceparent: '' },
    streamName: `drop-${DROP_ID}`,
    revision: 2,
    position: '2',
    recordedAt: T_DURING,
  };
}

/**
 * `dropline dead-letters` against a consumer's own PostgreSQL database (FULFILLMENT_DATABASE_URL,
 * as apps/fulfillment runs): it lists what the consumer dead-lettered and redrives it through the
 * real FulfillmentHandler.
 */
describeWithPostgres('dropline dead-letters (a consumer service database)', () => {
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('cli_dead_letters', { empty: true });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lists the dead letters and redrives them: an unknown schema is refused again, a rejection applied once', async () => {
    const sink = new TableDeadLetterSink(db.pool, 'fulfillment');
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, new FulfillmentHandler(3), sink);
    await consumer.migrate();
    await sink.ensureSchema();
    const event = placedPreOrder();
    const message = codec.encode(event);
    // A newer schema than this consumer knows, and a rejection recorded by an earlier version.
    expect(
      await consumer.handle({ ...message, headers: { ...message.headers, ce_id: randomUUID(), ce_type: 'dropline.preorder.placed.v9' } }),
    ).toBe('dead-lettered');
    await sink.send({ consumer: 'fulfillment', reason: 'rejected:TEST.EARLIER', detail: 'an earlier release refused it', message });
    await db.pool.query(`insert into fulfillment.processed_events (ce_id, ce_type, outcome) values ($1, $2, 'dead-lettered')`, [
      event.eventId,
      message.headers.ce_type,
    ]);
    const env = { FULFILLMENT_DATABASE_URL: db.url, DATA_DIR: '/nonexistent/never-opened' };

    const listed = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--pending'], listed)).toBe(0);
    const rows = listed
      .out()
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => [r[2], r[3], r[5]])).toEqual([
      ['unknown-schema', 'dropline.preorder.placed.v9', 'pending'],
      ['rejected:TEST.EARLIER', 'dropline.preorder.placed.v1', 'pending'],
    ]);
    const [unknownId, rejectedId] = rows.map((r) => r[0]);

    const json = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--reason', 'rejected', '--json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({
      consumer: 'fulfillment',
      next: null,
      deadLetters: [{ id: rejectedId, ceId: event.eventId }],
    });

    const redrove = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--redrive', `${rejectedId},${unknownId}`], redrove)).toBe(1);
    expect(redrove.out()).toBe(`${unknownId}\tdead-lettered\n${rejectedId}\tapplied\n`);
    expect(redrove.err()).toContain('redrive of 2 dead letter id(s) of fulfillment');
    expect(redrove.err()).toContain('1 done with, 1 not');
    const { rows: preOrders } = await db.pool.query(`select pre_order_id from fulfillment.pre_orders`);
    expect(preOrders).toEqual([{ pre_order_id: `${DROP_ID}.po.1` }]);

    const again = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--redrive', rejectedId], again)).toBe(0);
    expect(again.out()).toBe(`${rejectedId}\talready-redriven (applied)\n`);
    const pending = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--pending'], pending)).toBe(0);
    const waiting = pending.out().trimEnd().split('\n');
    expect(waiting).toHaveLength(1);
    // The unknown schema, refused again, is written off.
    const waitingId = waiting[0].split('\t')[0];
    const dismissed = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--dismiss', waitingId], dismissed)).toBe(0);
    expect(dismissed.out()).toBe(`${waitingId}\tdismissed\n`);
    expect(dismissed.err()).toContain('dismiss of 1 dead letter id(s) of fulfillment');
    const none = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment', '--pending'], none)).toBe(0);
    expect(none.out()).toBe('');

    // Retention: the two settled 100 days ago go; the one dismissed 10 days ago, and one that has waited 200 days, stay.
    await sink.send({
      consumer: 'fulfillment',
      reason: 'unparseable',
      detail: 'old and never handled',
      message: { ...message, value: Buffer.from('x') },
    });
    await db.pool.query(`update fulfillment.dead_letters set redriven_at = now() - interval '100 days' where id in ($1, $2)`, [
      unknownId,
      rejectedId,
    ]);
    await db.pool.query(`update fulfillment.dead_letters set redriven_at = now() - interval '10 days' where id = $1`, [waitingId]);
    await db.pool.query(`update fulfillment.dead_letters set dead_lettered_at = now() - interval '200 days' where redriven_at is null`);
    const forever = capture({ ...env, DEAD_LETTER_RETENTION_DAYS: '0' });
    expect(await runCli(['dead-letters', 'fulfillment', '--prune'], forever)).toBe(2);
    expect(forever.err()).toContain('DEAD_LETTER_RETENTION_DAYS is 0');
    const pruned = capture({ ...env, DEAD_LETTER_RETENTION_DAYS: '30' });
    expect(await runCli(['dead-letters', 'fulfillment', '--prune'], pruned)).toBe(0);
    expect(pruned.err()).toContain('pruned 2 dead letter(s) of fulfillment redriven or dismissed more than 30 days ago');
    const left = capture(env);
    expect(await runCli(['dead-letters', 'fulfillment'], left)).toBe(0);
    expect(
      left
        .out()
        .trimEnd()
        .split('\n')
        .map((l) => [l.split('\t')[2], l.split('\t')[5]]),
    ).toEqual([
      ['unknown-schema', 'dismissed'],
      ['unparseable', 'pending'],
    ]);
  });

  it("takes no lock on the consumer's tables: lists while a long transaction reads them", async () => {
    // An analyst's long query, or the consumer mid-page: a CLI that migrated (ALTER TABLE) would
    // wait behind it for its lock, and every statement of the consumer would queue behind the CLI.
    const reader = await db.pool.connect();
    let listed: Promise<number> | undefined;
    try {
      await reader.query('begin');
      await reader.query('select count(*) from fulfillment.pre_orders');
      await reader.query('select count(*) from fulfillment.dead_letters');
      const io = capture({ FULFILLMENT_DATABASE_URL: db.url });
      listed = runCli(['dead-letters', 'fulfillment'], io);
      // Under the test pool's idle-in-transaction timeout (10 s), which would end the reader.
      const waited = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 8 s'), 8_000).unref());
      expect(await Promise.race([listed, waited])).toBe(0);
      expect(io.out().trimEnd().split('\n')).toHaveLength(2);
    } finally {
      await reader.query('rollback');
      reader.release();
      await listed;
    }
  }, 30_000);

  it('refuses a database where the consumer never ran, or ran an older release, changing nothing (exit 1)', async () => {
    const other = await createTestPostgresDatabase('cli_dead_letters_none', { empty: true });
    try {
      const env = { FULFILLMENT_DATABASE_URL: other.url };
      const none = capture(env);
      expect(await runCli(['dead-letters', 'fulfillment', '--pending'], none)).toBe(1);
      expect(none.err()).toContain('has no dead-letter table of fulfillment: the consumer has not run against it');
      expect((await other.pool.query(`select 1 from pg_namespace where nspname = 'fulfillment'`)).rowCount).toBe(0);
      // The table as the first release made it, before the redrive's columns.
      await other.pool.query(`create schema fulfillment`);
      await other.pool.query(`create table fulfillment.dead_letters (
        id bigserial primary key, ce_id text, reason text not null, detail text not null,
        key text, value text, headers jsonb not null, dead_lettered_at timestamptz not null default now())`);
      const old = capture(env);
      expect(await runCli(['dead-letters', 'fulfillment', '--redrive', '1'], old)).toBe(1);
      expect(old.err()).toContain('is older than this release: start the consumer once');
      const columns = await other.pool.query(`select 1 from information_schema.columns where table_schema = 'fulfillment'`);
      expect(columns.rowCount).toBe(8);
    } finally {
      await other.drop();
    }
  });

  it('refuses bad arguments with exit 2 before it opens any database', async () => {
    const env = { FULFILLMENT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    for (const args of [
      ['dead-letters'],
      ['dead-letters', 'shipping'],
      ['dead-letters', 'fulfillment', '--redrive', '0'],
      ['dead-letters', 'fulfillment', '--reason', 'bad'],
      ['dead-letters', 'fulfillment', '--limit', '1000'],
      ['dead-letters', 'fulfillment', '--after', 'x'],
      ['dead-letters', 'fulfillment', '--nope'],
      ['dead-letters', 'fulfillment', '--redrive', '1', '--dismiss', '2'],
      ['dead-letters', 'fulfillment', '--prune', '--dismiss', '2'],
      ['dead-letters', 'fulfillment', '--redrive', ''],
      ['dead-letters', 'fulfillment', '--dismiss', ','],
      ['dead-letters', 'fulfillment', '--redrive', '1', '--pending'],
      ['dead-letters', 'fulfillment', '--prune', '--json'],
      ['dead-letters', 'fulfillment', '--dismiss', 'x'],
    ]) {
      const io = capture(env);
      expect([args.join(' '), await runCli(args, io)]).toEqual([args.join(' '), 2]);
      expect(io.err()).toContain('dropline dead-letters');
    }
  });
});

/** The embedded default: the consumers' tables live in the engine's PGlite under DATA_DIR (the engine stopped). */
describe('dropline dead-letters (the embedded DATA_DIR)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dropline-cli-dl-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists and redrives from the DATA_DIR when no database URL is set', async () => {
    const db = await createEmbeddedDatabase({ dataDir: dir });
    const event = placedPreOrder();
    try {
      const sink = new TableDeadLetterSink(db.pool, 'analytics');
      const consumer = new EffectivelyOnceConsumer(db.pool, codec, new AnalyticsHandler(), sink);
      await consumer.migrate();
      await sink.ensureSchema();
      await sink.send({ consumer: 'analytics', reason: 'unknown-schema', detail: 'from a newer relay', message: codec.encode(event) });
    } finally {
      await db.close();
    }
    const listed = capture({ DATA_DIR: dir });
    expect(await runCli(['dead-letters', 'analytics', '--json'], listed)).toBe(0);
    const page = JSON.parse(listed.out()) as { deadLetters: Array<{ id: string; ceId: string }> };
    expect(page.deadLetters.map((d) => d.ceId)).toEqual([event.eventId]);
    const redrove = capture({ DATA_DIR: dir });
    expect(await runCli(['dead-letters', 'analytics', '--redrive', page.deadLetters[0].id], redrove)).toBe(0);
    expect(redrove.out()).toBe(`${page.deadLetters[0].id}\tapplied\n`);
    expect(redrove.err()).toContain(`embedded database at ${dir}`);
  }, 60_000);
});
