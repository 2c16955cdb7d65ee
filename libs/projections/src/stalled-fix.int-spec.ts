import { dropStreamName } from '@dropline/domain';
import { PostgresEventStore, SharedLogReads, type EmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import { CheckpointStore, ProcessLease, Supervisor } from '@dropline/runtime';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { ProjectionRunner } from './projection-runner';
import { RestockReactor } from './restock/restock.reactor';
import { DropReadModelsProjection } from './drops/drop-read-models.projection';
import { openReadModels } from './typeorm/read-models.data-source';
import { dropHistory, toNewFixtureEvent } from './testing/drop-history';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * docs/reliability.md, ON_BAD_EVENT=stop: a reader stalled at a bad event "looks again, so a
 * fixed store resumes". As the engine runs them: the projection and the restock reactor under a
 * supervisor, over the log window every reader of the process shares (SharedLogReads). The
 * window kept the bad row as it first read it, and the stalled readers' looks were answered from
 * it, so a row fixed by hand (`update events set schema_version = …`) was never seen and they
 * stayed stalled until a restart.
 */
describe('readers stalled at a bad event resume once the store is fixed by hand (PGlite, shared log window)', () => {
  let db: EmbeddedDatabase;
  let store: SharedLogReads;
  let supervisor: Supervisor;
  let runner: ProjectionRunner;
  let reactor: RestockReactor;

  afterAll(async () => {
    await supervisor?.stop();
    await store?.close();
    await db?.close();
  });

  const stateOf = (name: string) => supervisor.statusOf(name)?.state;
  async function until(what: string, ok: () => boolean | Promise<boolean>, withinMs = 20_000): Promise<void> {
    for (const deadline = Date.now() + withinMs; !(await ok()); await sleep(20))
      if (Date.now() > deadline)
        throw new Error(
          `not ${what} within ${withinMs} ms: ${JSON.stringify([runner.checkpointName('live'), reactor.name].map((n) => supervisor.statusOf(n)))}`,
        );
  }

  it('the drops projection and the restock reactor stall at a newer-schema row, and resume once it is fixed', async () => {
    db = await createTestEmbeddedDatabase();
    await (await openReadModels(db.pool)).destroy();
    store = new SharedLogReads(new PostgresEventStore(db.pool));
    await store.appendToStream(dropStreamName('fix'), dropHistory('fix', 3, { orders: 12 }).map(toNewFixtureEvent), 'no_stream');
    // Read around the window (which would keep what it reads): the last placement.
    const placed = (
      await new PostgresEventStore(db.pool).readAll({
        filter: { streamPrefixes: ['drop-fix'], eventTypes: ['PreOrderPlaced'] },
        maxCount: 1000,
      })
    ).events;
    const bad: RecordedEvent = placed[placed.length - 1];
    await db.pool.query(`update events set schema_version = 99 where event_id = $1`, [bad.eventId]);

    runner = new ProjectionRunner({ store, pool: db.pool, projection: new DropReadModelsProjection(), pageSize: 50, stallRetryMs: 50 });
    reactor = new RestockReactor({ store, pool: db.pool, pageSize: 50 });
    supervisor = new Supervisor({ store, checkpoints: new CheckpointStore(db.pool), idleMs: 20 });
    supervisor.add(runner.processor(), new ProcessLease('projection:drops', db));
    supervisor.add(reactor.processor(), new ProcessLease('reactor:restock', db));
    supervisor.start();
    const projection = runner.checkpointName('live');
    await until('both stalled', () => stateOf(projection) === 'stalled' && stateOf(reactor.name) === 'stalled');
    expect(supervisor.statusOf(projection)?.stalledAt?.position).toBe(bad.position);

    // The log moves on (another drop), so the window is not an idle one that forgets its events.
    await store.appendToStream(dropStreamName('other'), dropHistory('other', 4, { orders: 3 }).map(toNewFixtureEvent), 'no_stream');
    await sleep(300);
    expect(stateOf(projection)).toBe('stalled');

    // Fixed by hand: the row as the engine would have written it.
    await db.pool.query(`update events set schema_version = 1 where event_id = $1`, [bad.eventId]);
    await until('both past the fixed row', () => stateOf(projection) === 'caught-up' && stateOf(reactor.name) === 'caught-up');
    const { rows } = await db.pool.query(`select count(*)::int as n from rm_customer_pre_orders where pre_order_id = $1`, [
      bad.data.preOrderId,
    ]);
    expect(rows[0].n).toBe(1);
    expect(supervisor.statusOf(projection)?.stalledAt).toBeUndefined();
  });
});
