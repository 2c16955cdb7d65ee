import type { Pool } from 'pg';
import { dropStreamName } from '@dropline/domain';
import { PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { CheckpointStore, ProcessLease, Supervisor } from '@dropline/runtime';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { ProjectionRunner, REBUILD_CHECK_MS } from './projection-runner';
import { DropReadModelsProjection } from './drops/drop-read-models.projection';
import { openReadModels } from './typeorm/read-models.data-source';
import { dropHistory, toNewFixtureEvent } from './testing/drop-history';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An idle lease holder looks for rebuild requests at most once every REBUILD_CHECK_MS (it looked
 * at every idle step, 5-10 times a second per projection), still picks up another process's
 * request within about that, and one made through its own process (rebuildRequested + nudge) at once.
 */
describe('rebuild requests seen by an idle projection (integration, PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let supervisor: Supervisor;
  let runner: ProjectionRunner;
  let checks = 0;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await (await openReadModels(db.pool)).destroy();
    store = new PostgresEventStore(db.pool);
    await store.appendToStream(dropStreamName('idle'), dropHistory('idle', 1, { orders: 3 }).map(toNewFixtureEvent), 'no_stream');
    // The runner's pool, counting its looks at rm_projection_rebuilds.
    const counted = Object.assign(Object.create(db.pool) as Pool, {
      query: (...args: Parameters<Pool['query']>) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        if (text?.startsWith('select * from rm_projection_rebuilds')) checks++;
        return (db.pool.query as (...a: unknown[]) => unknown)(...args);
      },
    });
    runner = new ProjectionRunner({ store, pool: counted, projection: new DropReadModelsProjection(), pageSize: 50 });
    supervisor = new Supervisor({ store, checkpoints: new CheckpointStore(db.pool), idleMs: 20 });
    supervisor.add(runner.processor(), new ProcessLease('projection:drops', db));
    supervisor.start();
    for (let waited = 0; supervisor.statusOf(runner.checkpointName('live'))?.state !== 'caught-up'; waited += 20) {
      if (waited > 20_000) throw new Error('never caught up');
      await sleep(20);
    }
  });
  afterAll(async () => {
    await supervisor?.stop();
    await store?.close();
    await db?.close();
  });

  const rebuildStatus = async () => (await runner.rebuildProgress())?.status;
  async function until(status: string, withinMs: number): Promise<void> {
    const start = Date.now();
    while ((await rebuildStatus()) !== status) {
      if (Date.now() - start > withinMs) throw new Error(`rebuild not ${status} within ${withinMs} ms`);
      await sleep(10);
    }
  }

  it('looks at most about once a second while idle, polling every 20-40 ms', async () => {
    checks = 0;
    await sleep(2_500);
    // Every idle step (60+ of them in 2.5 s) looked before; now 2-3 looks.
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(Math.ceil(2_500 / REBUILD_CHECK_MS) + 1);
  });

  it('picks up a request recorded by another process within about REBUILD_CHECK_MS', async () => {
    await ProjectionRunner.requestRebuild(db.pool, 'drops');
    await until('done', REBUILD_CHECK_MS + 10_000);
  });

  it('starts a request made through its own process at its nudge, without waiting for the next look', async () => {
    await until('done', 10_000);
    // Right after an idle look: without the nudge's bypass the next one is a second away.
    const seen = checks;
    while (checks === seen) await sleep(5);
    const start = Date.now();
    await ProjectionRunner.requestRebuild(db.pool, 'drops');
    runner.rebuildRequested();
    supervisor.nudge();
    while ((await rebuildStatus()) === 'requested') await sleep(5);
    expect(Date.now() - start).toBeLessThan(REBUILD_CHECK_MS / 2);
    await until('done', 10_000);
  });
});
