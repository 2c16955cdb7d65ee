import { randomUUID } from 'node:crypto';
import { BadEvent, dropStreamName } from '@dropline/domain';
import { PostgresEventStore, type EmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { CheckpointStore, standaloneContext, type Lease } from '@dropline/runtime';
import { ProjectionRunner } from './projection-runner';
import { RESTOCK_REACTOR_CHECKPOINT, RestockReactor } from './restock/restock.reactor';
import { DropReadModelsProjection, DROP_READ_MODEL_EVENT_TYPES } from './drops/drop-read-models.projection';
import { openReadModels } from './typeorm/read-models.data-source';
import { dropHistory, toNewFixtureEvent } from './testing/drop-history';

/**
 * Unknown and corrupted rows in the `events` table (ON_BAD_EVENT): a PreOrderPlaced whose
 * schema_version was set to 99, one whose data is a JSON string instead of an object, and a row
 * of an unknown type in the drop's stream. With `stop` the projection applies everything before
 * the first bad event and stalls there, naming it; with `skip` it applies everything after and
 * reports the bad ones. The unknown type never reaches it (server-side type filter).
 */
describe('projection runner at unknown and corrupted events (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let events: RecordedEvent[];
  let newer: RecordedEvent;
  let garbage: RecordedEvent;
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m) };
  const runner = (onBadEvent: 'stop' | 'skip') =>
    new ProjectionRunner({
      store,
      pool: db.pool,
      projection: new DropReadModelsProjection(),
      pageSize: 50,
      onBadEvent,
      logger,
      stallRetryMs: 0,
    });
  const preOrderIds = async () =>
    (await db.pool.query(`select pre_order_id from rm_customer_pre_orders where drop_id = 'bad' order by 1`)).rows.map(
      (r) => r.pre_order_id as string,
    );
  const placedId = (e: RecordedEvent) => e.data.preOrderId as string;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await (await openReadModels(db.pool)).destroy();
    store = new PostgresEventStore(db.pool);
    // The drop's life up to its window closing (later steps name every pre-order: production, hand-over).
    const history = dropHistory('bad', 7, { orders: 30 });
    const sales = history.slice(
      0,
      history.findIndex((h) => h.event.type === 'PreOrderWindowClosed'),
    );
    await store.appendToStream(dropStreamName('bad'), sales.map(toNewFixtureEvent), 'no_stream');
    await store.appendToStream(
      dropStreamName('bad'),
      [{ ...toNewFixtureEvent(dropHistory('bad', 7, { orders: 1 })[0]), eventId: randomUUID(), type: 'PreOrderTeleported' }],
      'any',
    );
    events = (await store.readAll({ filter: { streamPrefixes: ['drop-bad'] }, maxCount: 10_000 })).events;
    // Two placements nothing later refers to (so skipping them leaves the rest of the fold intact).
    const candidates = events.filter(
      (e, i) => e.type === 'PreOrderPlaced' && !JSON.stringify(events.slice(i + 1).map((l) => l.data)).includes(placedId(e)),
    );
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    [newer, garbage] = [candidates[0], candidates[candidates.length - 1]];
    await db.pool.query(`update events set schema_version = 99 where event_id = $1`, [newer.eventId]);
    await db.pool.query(`update events set data = '"garbage"'::jsonb where event_id = $1`, [garbage.eventId]);
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  const badOf = (e: RecordedEvent, problem: BadEvent['problem']) => ({
    position: e.position,
    streamName: 'drop-bad',
    revision: e.revision,
    eventId: e.eventId,
    type: 'PreOrderPlaced',
    problem,
  });

  it('stop: applies everything before the first bad event, commits that checkpoint, then stays stalled there and says where', async () => {
    const stop = runner('stop');
    await stop.catchUp();
    const before = events.slice(0, events.indexOf(newer));
    const cp = await stop.checkpoint();
    expect(cp.position).toBe(before.at(-1)!.position);
    expect(cp.eventsProcessed).toBe(before.length);
    expect(await preOrderIds()).toEqual(
      before
        .filter((e) => e.type === 'PreOrderPlaced')
        .map(placedId)
        .sort(),
    );
    // Later steps do not pass it.
    expect(await stop.processPage()).toEqual({ applied: 0, isEnd: true });
    expect((await stop.checkpoint()).position).toBe(cp.position);
    const lag = await stop.lag();
    expect(lag.stalledAt).toMatchObject({ ...badOf(newer, 'newer-schema'), schemaVersion: 99 });
    // Behind by the log from the bad event to the head (here the unknown-type row appended after it).
    expect(lag.lagSeconds).toBe((Date.parse(events.at(-1)!.recordedAt) - Date.parse(newer.recordedAt)) / 1000);
    // Events counts what the projection would handle (its filter): the unknown-type row is not among them.
    expect(lag.lagEvents).toBe(
      events.slice(before.length).filter((e) => (DROP_READ_MODEL_EVENT_TYPES as readonly string[]).includes(e.type)).length,
    );
    expect(lag.badEventsSkipped).toBe(0);
    expect(warnings.filter((w) => w.includes(newer.position))).toEqual([
      expect.stringMatching(/stalled .*stream drop-bad revision \d+ type PreOrderPlaced v99 .*newer-schema/),
    ]);
  });

  it('skip: reports the bad events, moves the checkpoint past them and applies everything after', async () => {
    // The operator switches to skip and restarts: the same checkpoint, a new runner.
    const skip = runner('skip');
    await skip.catchUp();
    const good = events.filter((e) => e !== newer && e !== garbage && e.type !== 'PreOrderTeleported');
    const cp = await skip.checkpoint();
    expect(cp.eventsProcessed).toBe(good.length);
    // The unknown type after them never reached the projection (the type filter), but the read
    // passed it: the checkpoint is past it, so it is not scanned again.
    expect(cp.position).toBe(events.at(-1)!.position);
    expect(events.at(-1)!.type).toBe('PreOrderTeleported');
    expect(await preOrderIds()).toEqual(
      good
        .filter((e) => e.type === 'PreOrderPlaced')
        .map(placedId)
        .sort(),
    );
    const lag = await skip.lag();
    expect(lag.stalledAt).toBeNull();
    expect(lag.badEventsSkipped).toBe(2);
    expect(lag.badEvents).toEqual([
      expect.objectContaining(badOf(newer, 'newer-schema')),
      expect.objectContaining({ ...badOf(garbage, 'undecodable'), detail: expect.stringContaining('not an object') }),
    ]);
    expect(warnings.some((w) => w.includes('skipped') && w.includes(garbage.position) && w.includes('undecodable'))).toBe(true);
  });

  it('the restock reactor follows ON_BAD_EVENT too: stop stalls just before the first bad event, skip reports and passes them', async () => {
    const checkpoints = new CheckpointStore(db.pool);
    await checkpoints.ensureSchema();
    const context = standaloneContext({ fence: 0, held: true } as Lease, checkpoints);
    const reactor = (onBadEvent: 'stop' | 'skip') => new RestockReactor({ store, pool: db.pool, onBadEvent, logger, pageSize: 20 });
    /** Hands the reactor pages from its checkpoint until it is caught up or stalls; the stall, if any. */
    const feed = async (r: RestockReactor) => {
      const processor = r.processor();
      for (;;) {
        const from = (await checkpoints.load(RESTOCK_REACTOR_CHECKPOINT))?.position;
        const page = await store.readAll({ fromPosition: from, maxCount: 20, filter: processor.filter });
        if (page.events.length === 0 && page.position === from) return undefined;
        const outcome = await processor.handle(page, context);
        if (outcome?.stalled) return outcome;
      }
    };
    const folded = events.filter((e) => (DROP_READ_MODEL_EVENT_TYPES as readonly string[]).includes(e.type));
    // The tools' path (runOnce, reading the log itself) stops there as well, instead of failing.
    await reactor('stop').runOnce();
    expect((await checkpoints.load(RESTOCK_REACTOR_CHECKPOINT))?.position).toBe(folded[folded.indexOf(newer) - 1].position);
    const stopping = reactor('stop');
    const stalled = await feed(stopping);
    expect(stalled).toEqual({
      position: folded[folded.indexOf(newer) - 1].position,
      stalled: { position: newer.position, reason: expect.stringMatching(/v99 .*newer-schema/) },
    });
    expect((await checkpoints.load(RESTOCK_REACTOR_CHECKPOINT))?.position).toBe(stalled!.position);
    // Read again (the supervisor does, every stallRetryMs): it stays where it is, said once.
    expect(await feed(stopping)).toEqual(stalled);
    // Each reactor says it once (runOnce's, then this one), however often it reads the page again.
    expect(warnings.filter((w) => w.startsWith('reactor:restock stalled'))).toHaveLength(2);
    // The operator switches to skip: it passes both, reports each, and catches up with the log.
    expect(await feed(reactor('skip'))).toBeUndefined();
    expect(
      warnings
        .filter((w) => w.startsWith('reactor:restock skipped'))
        .map((w) => w.includes(garbage.position) || w.includes(newer.position)),
    ).toEqual([true, true]);
    expect((await checkpoints.load(RESTOCK_REACTOR_CHECKPOINT))?.eventsProcessed).toBe(folded.length - 2);
  });
});
