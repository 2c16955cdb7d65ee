import { randomUUID } from 'node:crypto';
import { decide, DropCommand, DropDefinition, DropEvent, EVENT_SCHEMA_VERSIONS, evolve, initialState } from '@dropline/domain';
import type { EmbeddedDatabase, RecordedEvent } from '@dropline/event-store';
import type { Pool } from 'pg';
import { dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } from '@dropline/messaging';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { AnalyticsHandler } from './analytics.handler';
import { AnalyticsQueries } from './analytics.queries';

const codec = dropEventsCodec('/dropline/test');

const definition: DropDefinition = {
  name: 'Analytics drop',
  city: 'Bristol',
  currency: 'GBP',
  channels: ['web'],
  variants: [{ sku: 'M', size: 'M', colour: 'navy', editionCap: 20 }],
  priceTiers: [{ unitPrice: 2500 }],
  window: { opensAt: '2026-12-10T10:00:00Z', closesAt: '2026-12-17T10:00:00Z' },
  perCustomerLimit: 4,
  minimumOrderQuantity: 1,
  production: { microfactoryId: 'mf', leadTimeDays: 7 },
  returnWindowDays: 14,
};

/** The events the decider writes for `commands`, recorded as the store would (latest schema versions). */
function recorded(dropId: string, commands: Array<Omit<DropCommand, 'dropId'>>): RecordedEvent[] {
  let state = initialState();
  const out: RecordedEvent[] = [];
  for (const command of commands)
    for (const event of decide({ ...command, dropId } as DropCommand, state)) {
      state = evolve(state, event);
      out.push(record(dropId, event, out.length, (command as { now: string }).now));
    }
  return out;
}

function record(dropId: string, event: DropEvent, revision: number, at: string): RecordedEvent {
  return {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: EVENT_SCHEMA_VERSIONS[event.type],
    data: event.data as Record<string, unknown>,
    metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: at, traceparent: '' },
    streamName: `drop-${dropId}`,
    revision,
    position: `${dropId}:${revision}`,
    recordedAt: at,
  };
}

const placed = (preOrderId: string, customerId: string, now: string): Omit<DropCommand, 'dropId'> =>
  ({
    type: 'PlacePreOrder',
    preOrderId,
    customerId,
    sku: 'M',
    quantity: 1,
    channel: 'web',
    fulfillment: { method: 'ship' },
    isRepeatCustomer: false,
    idempotencyFingerprint: preOrderId,
    now,
  }) as Omit<DropCommand, 'dropId'>;

describe('AnalyticsHandler: the purchase clock starts at the first opening (PGlite, through the CloudEvents codec)', () => {
  let db: EmbeddedDatabase;
  let consumer: EffectivelyOnceConsumer;
  let queries: AnalyticsQueries;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    const deadLetters = new TableDeadLetterSink(db.pool, 'analytics');
    consumer = new EffectivelyOnceConsumer(db.pool, codec, new AnalyticsHandler(), deadLetters);
    await consumer.migrate();
    await deadLetters.ensureSchema();
    // Every answer computed afresh: these tests read a drop again after delivering more events.
    queries = new AnalyticsQueries(db.pool, 0);
  });
  afterAll(async () => {
    await db?.close();
  });

  const openedAt = async (dropId: string) =>
    (await db.pool.query(`select opened_at from analytics.drops where drop_id = $1`, [dropId])).rows[0]?.opened_at?.toISOString();
  const deliver = async (events: RecordedEvent[]) => {
    const outcomes: Array<[string, string]> = [];
    for (const [i, event] of events.entries())
      outcomes.push([event.type, await consumer.handle({ ...codec.encode(event), offset: String(i) })]);
    return outcomes;
  };

  it('a phased drop: the first AccessPhaseOpened starts it, later openings do not move it; members events are skipped', async () => {
    const ops = { subject: 'ops-1', roles: ['ops'] as const };
    const events = recorded('phased', [
      {
        type: 'ScheduleDrop',
        definition: {
          ...definition,
          phases: [
            { name: 'members', opensAt: '2026-12-05T10:00:00Z', audience: 'members' },
            { name: 'city', opensAt: '2026-12-08T10:00:00Z', audience: 'city' },
          ],
        },
        now: '2026-12-01T09:00:00.000Z',
      },
      { type: 'AddDropMembers', customerIds: ['ana', 'bo'], actor: ops, now: '2026-12-01T09:00:00.000Z' },
      { type: 'RemoveDropMembers', customerIds: ['bo'], actor: ops, now: '2026-12-02T09:00:00.000Z' },
      { type: 'OpenAccessPhase', phase: 'members', now: '2026-12-05T10:00:00.000Z' },
      placed('phased.po.1', 'ana', '2026-12-05T10:10:00.000Z'),
      { type: 'OpenAccessPhase', phase: 'city', manual: true, now: '2026-12-07T10:00:00.000Z' },
      { type: 'OpenPreOrderWindow', now: '2026-12-10T10:00:00.000Z' },
      placed('phased.po.2', 'cy', '2026-12-10T10:00:00.000Z'),
    ] as Array<Omit<DropCommand, 'dropId'>>);
    const outcomes = await deliver(events);
    expect(outcomes.filter(([type]) => type.startsWith('DropMembers'))).toEqual([
      ['DropMembersAdded', 'skipped'],
      ['DropMembersRemoved', 'skipped'],
    ]);
    expect(outcomes.filter(([, outcome]) => outcome === 'dead-lettered')).toEqual([]);
    expect(await openedAt('phased')).toBe('2026-12-05T10:00:00.000Z');
    // Pre-orders 10 minutes and 5 days after the members phase opened: the mean counts from there.
    const [web] = (await queries.drop('phased')).channels;
    expect(web).toMatchObject({ channel: 'web', preOrders: 2, averageSecondsFromOpen: (600 + 5 * 86_400) / 2 });
    // The same AccessPhaseOpened again (a re-sent message) changes nothing.
    const again = events.find((e) => e.type === 'AccessPhaseOpened')!;
    expect(await consumer.handle({ ...codec.encode(again), offset: '99' })).toBe('duplicate');
    expect(await openedAt('phased')).toBe('2026-12-05T10:00:00.000Z');
    expect(JSON.stringify((await db.pool.query(`select * from analytics.drops`)).rows)).not.toMatch(/"ana"|"bo"/);
  });

  it('one page (the in-process feed: runs of PreOrderPlaced in one insert) writes what one event at a time writes', async () => {
    const commands = (dropId: string) =>
      [
        { type: 'ScheduleDrop', definition, now: '2026-12-01T09:00:00.000Z' },
        { type: 'OpenPreOrderWindow', now: '2026-12-10T10:00:00.000Z' },
        placed(`${dropId}.po.1`, 'ana', '2026-12-10T10:01:00.000Z'),
        placed(`${dropId}.po.2`, 'bo', '2026-12-10T10:02:00.000Z'),
        {
          type: 'CancelPreOrder',
          preOrderId: `${dropId}.po.1`,
          now: '2026-12-10T11:00:00.000Z',
          actor: { subject: 'ana', roles: ['customer'] },
        },
        placed(`${dropId}.po.3`, 'cy', '2026-12-11T10:03:00.000Z'),
      ] as Array<Omit<DropCommand, 'dropId'>>;
    await deliver(recorded('one-by-one', commands('one-by-one')));
    const events = recorded('paged', commands('paged'));
    const page = await consumer.handleAll(
      events.map((e, i) => ({ ...codec.encode(e), offset: String(i) })),
      async () => undefined,
    );
    expect(page?.outcomes).toEqual(events.map(() => 'applied'));
    const rows = (dropId: string) =>
      db.pool
        .query(
          `select customer_id, channel, sku, quantity, tier, total, placed_at, cancelled_at from analytics.pre_orders where drop_id = $1 order by customer_id`,
          [dropId],
        )
        .then((r) => r.rows);
    expect(await rows('paged')).toEqual(await rows('one-by-one'));
    expect((await rows('paged')).map((r) => [r.customer_id, r.cancelled_at?.toISOString() ?? null])).toEqual([
      ['ana', '2026-12-10T11:00:00.000Z'],
      ['bo', null],
      ['cy', null],
    ]);
    expect(await queries.drop('paged')).toEqual({ ...(await queries.drop('one-by-one')), dropId: 'paged' });
  });

  it('a basket averages the pre-orders not cancelled; refunds count money paid back once, not its request as well', async () => {
    const customer = (id: string) => ({ subject: id, roles: ['customer'] as const });
    const of = (quantity: number, command: Omit<DropCommand, 'dropId'>) => ({ ...command, quantity }) as Omit<DropCommand, 'dropId'>;
    const events = recorded('refunded', [
      { type: 'ScheduleDrop', definition: { ...definition, minimumOrderQuantity: 10 }, now: '2026-12-01T09:00:00.000Z' },
      { type: 'OpenPreOrderWindow', now: '2026-12-10T10:00:00.000Z' },
      of(2, placed('refunded.po.1', 'ana', '2026-12-10T11:00:00.000Z')),
      of(2, placed('refunded.po.2', 'bo', '2026-12-10T11:00:00.000Z')),
      of(1, placed('refunded.po.3', 'cy', '2026-12-10T11:00:00.000Z')),
      { type: 'CancelPreOrder', preOrderId: 'refunded.po.2', actor: customer('bo'), now: '2026-12-11T10:00:00.000Z' },
      { type: 'RecordPaymentCaptured', preOrderId: 'refunded.po.1', amount: 5000, providerRef: 'pi_1', now: '2026-12-11T10:00:00.000Z' },
      // Below its minimum at the close: cancelled, then refunds asked for and one made by the provider.
      { type: 'ClosePreOrderWindow', now: '2026-12-17T10:00:00.000Z' },
      { type: 'RequestRefunds', maxCount: 10, now: '2026-12-17T10:00:00.000Z' },
      { type: 'RecordPaymentRefunded', preOrderId: 'refunded.po.1', amount: 5000, providerRef: 'rf_1', now: '2026-12-18T10:00:00.000Z' },
    ] as Array<Omit<DropCommand, 'dropId'>>);
    expect(events.filter((e) => e.type === 'RefundRequested')).toHaveLength(2);
    expect((await deliver(events)).filter(([, outcome]) => outcome === 'dead-lettered')).toEqual([]);
    const analytics = await queries.drop('refunded');
    // 3 units in 2 pre-orders not cancelled (the cancelled one's 2 units count in neither).
    expect(analytics.channels).toEqual([expect.objectContaining({ channel: 'web', preOrders: 3, units: 3, averageBasketUnits: 1.5 })]);
    expect(analytics.tiers).toEqual([expect.objectContaining({ preOrders: 2, units: 3, averageBasketUnits: 1.5 })]);
    expect(analytics.refunds).toEqual({
      count: 1,
      amount: 5000,
      byKind: [
        { kind: 'payment', count: 1, amount: 5000 },
        { kind: 'requested', count: 2, amount: 7500 },
      ],
    });
  });

  it("counts a channel's unique visitors by first touch, in visit time whatever the order batches arrive in", async () => {
    const batch = (revision: number, visits: Array<[string, string, string]>): RecordedEvent => ({
      ...record(
        'touch',
        { type: 'VisitsRecorded', data: { dropId: 'touch', visits: [], recordedAt: '2026-12-10T12:00:00.000Z' } } as never,
        revision,
        '2026-12-10T12:00:00.000Z',
      ),
      streamName: 'visits-touch',
      data: {
        dropId: 'touch',
        visits: visits.map(([visitorId, channel, at]) => ({ visitorId, channel, at })),
        recordedAt: '2026-12-10T12:00:00.000Z',
      },
    });
    const outcomes = await deliver([
      batch(0, [
        ['v-1', 'web', '2026-12-10T10:02:00.000Z'],
        ['v-2', 'app', '2026-12-10T10:03:00.000Z'],
      ]),
      // A till's batch arriving late: v-1 had come on the app first.
      batch(1, [
        ['v-1', 'app', '2026-12-10T10:01:00.000Z'],
        ['v-2', 'web', '2026-12-10T10:04:00.000Z'],
        ['v-3', 'web', '2026-12-10T10:05:00.000Z'],
      ]),
    ]);
    expect(outcomes.map(([, outcome]) => outcome)).toEqual(['applied', 'applied']);
    const { channels } = await queries.drop('touch');
    expect(channels.map(({ channel, visits, uniqueVisitors }) => ({ channel, visits, uniqueVisitors }))).toEqual([
      { channel: 'app', visits: 2, uniqueVisitors: 2 },
      { channel: 'web', visits: 3, uniqueVisitors: 1 },
    ]);
  });

  it('callers within the answer interval share one computation; a later call computes again, and sees new events', async () => {
    let queriesRun = 0;
    const counting = Object.assign(Object.create(db.pool) as Pool, {
      query: (...args: unknown[]) => {
        queriesRun++;
        return (db.pool.query as (...a: unknown[]) => unknown)(...args);
      },
    });
    const shared = new AnalyticsQueries(counting, 200);
    const events = recorded('shared', [
      { type: 'ScheduleDrop', definition, now: '2026-12-01T09:00:00.000Z' },
      { type: 'OpenPreOrderWindow', now: '2026-12-10T10:00:00.000Z' },
      placed('shared.po.1', 'ana', '2026-12-10T11:00:00.000Z'),
      placed('shared.po.2', 'bo', '2026-12-10T12:00:00.000Z'),
    ] as unknown as Array<Omit<DropCommand, 'dropId'>>);
    await deliver(events.slice(0, 3));
    const [a, b] = await Promise.all([shared.drop('shared'), shared.drop('shared')]);
    expect(a).toBe(b);
    expect(a.channels).toEqual([expect.objectContaining({ preOrders: 1 })]);
    const once = queriesRun;
    // Within the interval: the same answer, no query, even after a new event.
    await deliver(events.slice(3));
    const counted = queriesRun;
    expect(await shared.drop('shared')).toBe(a);
    expect(queriesRun).toBe(counted);
    await new Promise((r) => setTimeout(r, 250));
    const later = await shared.drop('shared');
    expect(later.channels).toEqual([expect.objectContaining({ preOrders: 2 })]);
    expect(queriesRun - counted).toBe(once);
  });

  it('a drop from before phases: a stored EarlyAccessOpened still starts it', async () => {
    const [scheduled, windowOpened] = recorded('legacy', [
      {
        type: 'ScheduleDrop',
        definition: { ...definition, earlyAccess: { opensAt: '2026-12-09T10:00:00Z', audience: 'repeat-customers' } },
        now: '2026-12-01T09:00:00.000Z',
      },
      { type: 'OpenPreOrderWindow', now: '2026-12-10T10:00:00.000Z' },
    ] as Array<Omit<DropCommand, 'dropId'>>);
    const early = record(
      'legacy',
      { type: 'EarlyAccessOpened', data: { dropId: 'legacy', audience: 'repeat-customers', openedAt: '2026-12-09T10:00:00.000Z' } },
      1,
      '2026-12-09T10:00:00.000Z',
    );
    expect(await deliver([scheduled, early, { ...windowOpened, revision: 2 }])).toEqual([
      ['DropScheduled', 'applied'],
      ['EarlyAccessOpened', 'applied'],
      ['PreOrderWindowOpened', 'applied'],
    ]);
    expect(await openedAt('legacy')).toBe('2026-12-09T10:00:00.000Z');
  });
});
