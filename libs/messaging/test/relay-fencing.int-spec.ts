import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { CheckpointStore, FencedError, type Lease } from '@dropline/runtime';
import { dropEventsCodec, type OutboundMessage, Relay, type RelayObserver } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { numbered } from './fixtures';

/** A lease whose holding the test turns on and off, like an expiring lease whose deadline passes. */
class SwitchableLease implements Lease {
  holding = true;
  constructor(
    readonly name: string,
    public currentFence: number,
  ) {}
  get held() {
    return this.holding;
  }
  get fence() {
    return this.holding ? this.currentFence : undefined;
  }
  async tryAcquire() {
    return this.holding;
  }
  async release() {
    this.holding = false;
  }
}

/**
 * The relay's writes are fenced (issue 14): it checks the lease right before each publish and each
 * checkpoint save, and the save itself is refused when a newer holder (greater fence) saved first.
 */
describe('relay fencing (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
  let n = 0;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  async function setup(
    publish: (messages: OutboundMessage[], lease: SwitchableLease) => Promise<void>,
    fence = 5,
    observer?: RelayObserver,
  ) {
    const name = `relay:fencing-${++n}`;
    const drop = `fence${n}`;
    await store.appendToStream(
      `drop-${drop}`,
      Array.from({ length: 4 }, (_, seq) => numbered(drop, seq)),
      'no_stream',
    );
    const lease = new SwitchableLease(name, fence);
    const sent: OutboundMessage[] = [];
    const checkpoints = new CheckpointStore(db.pool);
    const relay = new Relay(
      store,
      dropEventsCodec(),
      {
        publish: async (m) => {
          await publish(m, lease);
          sent.push(...m);
        },
        close: async () => undefined,
      },
      checkpoints,
      lease,
      { name, filter: { streamPrefixes: [`drop-${drop}`] }, logger: silent, leaseRetryMs: 20, idleMs: 10, observer },
    );
    return { name, lease, sent, checkpoints, relay };
  }

  it('reports acknowledged publishes and failed rounds to its observer (metrics)', async () => {
    const seen = { published: 0, failed: 0 };
    let fail = true;
    const { relay } = await setup(
      async () => {
        if (fail) throw new Error('broker down');
      },
      5,
      { published: (n) => void (seen.published += n), failed: () => void seen.failed++ },
    );
    await expect(relay.publishNextBatch()).rejects.toThrow('broker down');
    expect(seen).toEqual({ published: 0, failed: 1 });
    fail = false;
    await relay.publishNextBatch();
    expect(seen).toEqual({ published: 4, failed: 1 });
  });

  it('publishes nothing once the lease is gone', async () => {
    const { lease, sent, relay, checkpoints, name } = await setup(async () => undefined);
    lease.holding = false;
    await expect(relay.publishNextBatch()).rejects.toThrow(/another instance holds the lease/);
    expect(sent).toEqual([]);
    expect(await checkpoints.load(name)).toBeUndefined();
  });

  it('does not save the checkpoint when the lease ran out during the publish', async () => {
    const { sent, relay, checkpoints, name } = await setup(async (_m, lease) => {
      lease.holding = false; // paused inside the send, past the expiry
    });
    await relay.publishNextBatch();
    expect(sent).toHaveLength(4);
    expect(await checkpoints.load(name)).toBeUndefined();
  });

  it('refuses a save with an older fence than the stored one, leaving the newer holder’s row alone', async () => {
    const { relay, checkpoints, name, lease } = await setup(async () => undefined, 3);
    const [, second] = await store.readStream(`drop-fence${n}`);
    // A newer holding (fence 4) saved first.
    await checkpoints.save({ name, position: second.position, processed: 2, lastEventAt: second.recordedAt, fence: 4 });
    await expect(relay.publishNextBatch()).rejects.toThrow(FencedError);
    const { rows } = await db.pool.query(`select position, fence::int as fence from dropline_checkpoints where name = $1`, [name]);
    expect(rows).toEqual([{ position: second.position, fence: 4 }]);
    // An equal or greater fence saves.
    lease.currentFence = 4;
    await relay.publishNextBatch();
    expect((await checkpoints.load(name))?.position).not.toBe(second.position);
  });

  it('the loop stands by when its lease is lost mid-round, and says so in its status', async () => {
    const { relay, checkpoints, name } = await setup(async (_m, lease) => {
      lease.holding = false;
    });
    relay.start();
    try {
      const deadline = Date.now() + 5_000;
      while (relay.status().state !== 'standby') {
        if (Date.now() > deadline) throw new Error(`state ${relay.status().state}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(relay.status()).toMatchObject({ state: 'standby', published: 0 });
      expect(await checkpoints.load(name)).toBeUndefined();
    } finally {
      await relay.stop();
    }
  });
});
