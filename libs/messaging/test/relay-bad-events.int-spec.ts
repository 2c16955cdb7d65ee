import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, type OutboundMessage, Relay } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { waitFor } from '../../../test/support/kafka';
import { numbered } from './fixtures';

/**
 * The relay at unknown and corrupted rows of the `events` table (ON_BAD_EVENT), with a recording
 * publisher in place of the broker: `stop` publishes up to the first bad event, checkpoints
 * there and stalls visibly; `skip` leaves the bad ones unpublished, reports them and goes on.
 */
describe('relay at unknown and corrupted events (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let events: RecordedEvent[];
  const name = 'relay:bad-events';
  const sent: OutboundMessage[] = [];
  const warnings: string[] = [];
  const publisher = { publish: async (m: OutboundMessage[]) => void sent.push(...m), close: async () => undefined };
  const relay = (onBadEvent: 'stop' | 'skip') =>
    new Relay(store, dropEventsCodec(), publisher, new CheckpointStore(db.pool), new ProcessLease(name, db.pool), {
      name,
      filter: { streamPrefixes: ['drop-'] },
      batchSize: 100,
      onBadEvent,
      stallRetryMs: 20,
      idleMs: 10,
      logger: { log: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined },
    });
  const seqs = () => sent.map((m) => JSON.parse(m.value.toString()).seq as number);

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
    await store.appendToStream(
      'drop-relaybad',
      Array.from({ length: 10 }, (_, seq) => numbered('relaybad', seq)),
      'no_stream',
    );
    events = (await store.readAll({ filter: { streamPrefixes: ['drop-relaybad'] } })).events;
    await db.pool.query(`update events set schema_version = 99 where event_id = $1`, [events[3].eventId]);
    await db.pool.query(`update events set type = 'PreOrderTeleported' where event_id = $1`, [events[5].eventId]);
    await db.pool.query(`update events set data = '"garbage"'::jsonb where event_id = $1`, [events[7].eventId]);
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('stop: publishes up to the bad event, checkpoints just before it and stays stalled there, visibly', async () => {
    const r = relay('stop');
    expect(await r.publishNextBatch()).toEqual({ published: 3, isEnd: true });
    expect(seqs()).toEqual([0, 1, 2]);
    expect((await new CheckpointStore(db.pool).load(name))?.position).toBe(events[2].position);
    expect(await r.publishNextBatch()).toEqual({ published: 0, isEnd: true });
    // The log's head (the last event) recorded 75 s after the bad event the relay is stuck at.
    await db.pool.query(`update events set recorded_at = recorded_at + interval '75 seconds' where event_id = $1`, [events[9].eventId]);
    r.start();
    try {
      await waitFor(
        () => r.status().state === 'stalled',
        5_000,
        () => `state ${r.status().state}`,
      );
      expect(await r.statusNow()).toMatchObject({ state: 'stalled', lag: 7, lagSeconds: 75 });
      expect(r.status()).toMatchObject({
        checkpoint: events[2].position,
        lag: 7,
        lagSeconds: 75,
        stalledAt: {
          position: events[3].position,
          streamName: 'drop-relaybad',
          revision: 3,
          type: 'PreOrderPlaced',
          schemaVersion: 99,
          problem: 'newer-schema',
        },
      });
    } finally {
      await r.stop();
    }
    expect(seqs()).toEqual([0, 1, 2]);
    expect(warnings.filter((w) => w.includes(events[3].position))).toEqual([
      expect.stringMatching(/stalled .*stream drop-relaybad revision 3 type PreOrderPlaced v99 .*newer-schema/),
    ]);
  });

  it('skip: leaves every bad event unpublished, reports each with its position, and publishes the rest', async () => {
    const r = relay('skip');
    expect(await r.publishNextBatch()).toEqual({ published: 4, isEnd: true });
    expect(seqs()).toEqual([0, 1, 2, 4, 6, 8, 9]);
    expect((await new CheckpointStore(db.pool).load(name))?.position).toBe(events[9].position);
    expect(r.status()).toMatchObject({ stalledAt: undefined, badEventsSkipped: 3 });
    expect(r.status().badEvents.map((b) => [b.position, b.revision, b.problem])).toEqual([
      [events[3].position, 3, 'newer-schema'],
      [events[5].position, 5, 'unknown-type'],
      [events[7].position, 7, 'undecodable'],
    ]);
    expect(warnings.filter((w) => w.includes('not published'))).toHaveLength(3);
  });
});
