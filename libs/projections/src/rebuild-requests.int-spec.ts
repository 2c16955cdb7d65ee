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

/** A caught-up projection under a supervisor polling every 20 ms, counting its looks at rm_projection_rebuilds. */
async function idleProjection(rebuildCheckMs: number) {
  const db: EmbeddedDatabase = await createTestEmbeddedDatabase();
  await (await openReadModels(db.pool)).destroy();
  const store = new PostgresEventStore(db.pool);
  await store.appendToStream(dropStreamName('idle'), dropHistory('idle', 1, { orders: 3 }).map(toNewFixtureEvent), 'no_stream');
  const counter = { looks: 0 };
  const counted = Object.assign(Object.create(db.pool) as Pool, {
    query: (...args: Parameters<Pool['query']>) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      if (text?.startsWith('select * from rm_projection_rebuilds')) counter.looks++;
      return (db.pool.query as (...a: unknown[]) => unknown)(...args);
    },
  });
  const runner = new ProjectionRunner({ store, pool: counted, projection: new DropReadModelsProjection(), pageSize: 50, rebuildCheckMs });
  const supervisor = new Supervisor({ store, checkpoints: new CheckpointStore(db.pool), idleMs: 20 });
  supervisor.add(runner.processor(), new ProcessLease('projection:drops', db));
  supervisor.start();
  for (let waited = 0; supervisor.statusOf(runner.checkpointName('live'))?.state !== 'caught-up'; waited += 20) {
    if (waited > 20_000) throw new Error('never caught up');
    await sleep(20);
  }
  const status = async () => (await runner.rebuildProgress())?.status;
  return {
    db,
    runner,
    supervisor,
    counter,
    async until(wanted: string, withinMs: number): Promise<void> {
      const start = Date.now();
      while ((await status()) !== wanted) {
        if (Date.now() - start > withinMs) throw new Error(`rebuild not ${wanted} within ${withinMs} ms (it is ${await status()})`);
        await sleep(10);
      }
    },
    async close() {
      await supervisor.stop();
      await store.close();
      await db.close();
    },
  };
}

/**
 * An idle lease holder looks for rebuild requests at most once every REBUILD_CHECK_MS (it looked
 * at every idle step, 5-10 times a second per projection), still picks up another process's
 * request, and one made through its own process (rebuildRequested + nudge) without waiting.
 */
describe('rebuild requests seen by an idle projection (integration, PGlite)', () => {
  it('looks at most once per REBUILD_CHECK_MS while idle, and picks up another process’s request', async () => {
    const idle = await idleProjection(REBUILD_CHECK_MS);
    try {
      idle.counter.looks = 0;
      await sleep(3_000);
      // 75+ idle steps in 3 s looked before; now at most one look a second.
      expect(idle.counter.looks).toBeGreaterThanOrEqual(1);
      expect(idle.counter.looks).toBeLessThanOrEqual(3_000 / REBUILD_CHECK_MS + 1);
      // Recorded the way `npm run projections:rebuild` does from another process: no nudge here.
      await ProjectionRunner.requestRebuild(idle.db.pool, 'drops');
      await idle.until('done', 30_000);
    } finally {
      await idle.close();
    }
  });

  it('starts a request made through its own process at its nudge, not at its next look', async () => {
    // Looks an hour apart: only the nudge's bypass can start the rebuild within the test.
    const idle = await idleProjection(3_600_000);
    try {
      // Its first idle step looks (nothing looked yet); the next look is an hour away.
      while (idle.counter.looks === 0) await sleep(10);
      const looked = idle.counter.looks;
      await sleep(200);
      expect(idle.counter.looks).toBe(looked);
      await ProjectionRunner.requestRebuild(idle.db.pool, 'drops');
      idle.runner.rebuildRequested();
      idle.supervisor.nudge();
      await idle.until('done', 30_000);
    } finally {
      await idle.close();
    }
  });
});
