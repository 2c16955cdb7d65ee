import { PostgresEventStore, type EmbeddedDatabase, type EventStore, type ReadAllOptions } from '@dropline/event-store';
import type { AppConfig, Databases } from '@dropline/platform';
import { LeaseFactory } from '@dropline/platform';
import { appendInterleaved, RecordingHandler } from '../../../../libs/messaging/test/fixtures';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { MessagingRuntime } from './messaging.runtime';

/**
 * The in-process consumer's run loop dies outside a delivery: the store's read throws between two
 * pages. The supervisor restarts it with backoff; the restart shows in the messaging status beside
 * the consumer's lag; and every event still reaches the consumer once in effect.
 */
describe('supervised in-process consumer (PGlite)', () => {
  let db: EmbeddedDatabase;
  let runtime: MessagingRuntime | undefined;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
  });
  afterAll(async () => {
    await runtime?.stop();
    await db?.close();
  });

  it('restarts the feed after its read failed between pages; the restart is visible with the lag; each event applied once', async () => {
    const real = new PostgresEventStore(db.pool);
    const ids = await appendInterleaved(real, ['sup1', 'sup2'], 40);
    // The third read from a non-empty position fails once: the feed has handled pages by then.
    let reads = 0;
    let failed = false;
    const store: EventStore = Object.assign(Object.create(real) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        if (options?.fromPosition !== undefined && options.maxCount === 25 && ++reads === 2 && !failed) {
          failed = true;
          throw new Error('read failed between pages');
        }
        return real.readAll(options);
      },
    });
    const handler = new RecordingHandler('supervised_feed');
    const databases = { store, readModels: db.pool, embedded: true, close: async () => undefined } as Databases;
    const config = {
      kafkaBrokers: [],
      run: { consumers: true },
      kafka: { ceSource: '/dropline/test' },
      lease: { store: 'process' },
    } as unknown as AppConfig;
    runtime = new MessagingRuntime(config, databases, new LeaseFactory(config, databases), [handler], { pageSize: 25 });
    await runtime.start();

    const deadline = Date.now() + 30_000;
    let status = await runtime.status();
    for (;;) {
      status = await runtime.status();
      const feed = status.processors.find((p) => p.name === 'consumer:supervised_feed');
      if (feed?.state === 'caught-up' && feed.restarts > 0) break;
      if (Date.now() > deadline) throw new Error(`not caught up after a restart: ${JSON.stringify(feed)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(failed).toBe(true);
    expect(status.processors.find((p) => p.name === 'consumer:supervised_feed')).toMatchObject({
      state: 'caught-up',
      restarts: 1,
      lastError: 'read failed between pages',
      consecutiveFailures: 0,
      lag: { lagSeconds: 0, lagEvents: 0 },
    });
    const { rows } = await db.pool.query<{ ce_id: string; n: number }>(
      'select ce_id, count(*)::int as n from supervised_feed.applied group by ce_id',
    );
    expect(rows.map((r) => r.ce_id).sort()).toEqual([...ids].sort());
    expect(new Set(rows.map((r) => r.n))).toEqual(new Set([1]));
    const checkpoint = await db.pool.query(`select position from dropline_checkpoints where name = 'consumer:supervised_feed'`);
    expect(checkpoint.rows[0].position).toBeDefined();
  });
});

/**
 * DEAD_LETTER_RETENTION_DAYS as the engine runs it: the runtime prunes its consumers' tables when
 * it starts (and hourly after), and 0 keeps everything.
 */
describe('dead-letter retention in the messaging runtime (PGlite)', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('prunes the settled dead letters past the retention at start, keeps what waits, and keeps everything at 0', async () => {
    const databases = {
      store: new PostgresEventStore(db.pool),
      readModels: db.pool,
      embedded: true,
      close: async () => undefined,
    } as Databases;
    const runtimeWith = (days: number) => {
      const config = {
        kafkaBrokers: [],
        run: { consumers: true },
        kafka: { ceSource: '/dropline/test' },
        lease: { store: 'process' },
        deadLetterRetentionDays: days,
      } as unknown as AppConfig;
      return new MessagingRuntime(config, databases, new LeaseFactory(config, databases), [new RecordingHandler('retained')]);
    };
    const first = runtimeWith(30);
    await first.start();
    await first.stop();
    const row = (ceId: string, redrivenAgo: string | null, outcome: string | null) =>
      db.pool.query(
        `insert into retained.dead_letters (ce_id, reason, detail, headers, encoding, fingerprint, redriven_at, redrive_outcome)
         values ($1, 'unparseable', 'test', '{}'::jsonb, 'utf8', $1, now() - $2::interval, $3)`,
        [ceId, redrivenAgo, outcome],
      );
    await row('dismissed-long-ago', '31 days', 'dismissed');
    await row('applied-long-ago', '45 days', 'applied');
    await row('dismissed-lately', '29 days', 'dismissed');
    await row('waiting', null, null);
    const left = async () => (await db.pool.query(`select ce_id from retained.dead_letters order by id`)).rows.map((r) => r.ce_id);

    const forever = runtimeWith(0);
    await forever.start();
    await new Promise((r) => setTimeout(r, 200));
    await forever.stop();
    expect(await left()).toHaveLength(4);

    const second = runtimeWith(30);
    await second.start();
    try {
      const deadline = Date.now() + 10_000;
      while ((await left()).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await left()).toEqual(['dismissed-lately', 'waiting']);
    } finally {
      await second.stop();
    }
  });
});
