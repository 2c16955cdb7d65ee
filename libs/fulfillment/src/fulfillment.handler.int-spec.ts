import { randomUUID } from 'node:crypto';
import {
  decide,
  DropCommand,
  DropDefinition,
  DropEvent,
  DropState,
  EVENT_SCHEMA_VERSIONS,
  evolve,
  initialState,
  ProductionRunCompleted,
} from '@dropline/domain';
import type { EmbeddedDatabase, RecordedEvent } from '@dropline/event-store';
import { DeadLetterLedger, dropEventsCodec, EffectivelyOnceConsumer, InboundMessage, TableDeadLetterSink } from '@dropline/messaging';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import type { EngineCommands } from './engine/engine-commands';
import { FulfillmentHandler } from './fulfillment.handler';
import { FulfillmentTasks, parseCursor } from './tasks/fulfillment-tasks.service';

const codec = dropEventsCodec('/dropline/test');
const T_DURING = '2026-12-02T12:00:00Z';
const T_DONE = '2026-12-24T16:00:00Z';

const definition: DropDefinition = {
  name: 'Fulfillment drop',
  currency: 'GBP',
  channels: ['web'],
  variants: [
    { sku: 'M', size: 'M', colour: 'navy', editionCap: 50 },
    { sku: 'L', size: 'L', colour: 'navy', editionCap: 50 },
  ],
  priceTiers: [{ unitPrice: 2500 }],
  window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
  perCustomerLimit: 4,
  minimumOrderQuantity: 1,
  production: { microfactoryId: 'mf', leadTimeDays: 14 },
  pickupLocations: [{ locationId: 'popup-1', discountPercent: 10 }],
  returnWindowDays: 14,
};

/**
 * A drop decided by the real decider. M: #1 ×2, #2 ×1 (pickup), #3 ×3, #5 ×1, #6 ×2, #7 ×1 (cancelled); L: #4 ×1.
 * Run 1 makes 4 M and 1 L: #1, #2 and #4 fit, #3 blocks M. #5 asks for a refund; run 2 makes 5 M: #3 and #6.
 */
function decidedDrop(dropId: string): { events: DropEvent[]; state: DropState } {
  const po = (n: number) => `${dropId}.po.${n}`;
  const place = (n: number, sku: string, quantity: number, pickup = false): DropCommand => ({
    type: 'PlacePreOrder',
    dropId,
    preOrderId: po(n),
    customerId: `c-${n}`,
    sku,
    quantity,
    channel: 'web',
    fulfillment: pickup ? { method: 'pickup', locationId: 'popup-1' } : { method: 'ship' },
    isRepeatCustomer: false,
    idempotencyFingerprint: `fp-${n}`,
    now: T_DURING,
  });
  const run = (n: number) => `${dropId}.run.${n}`;
  const commands: DropCommand[] = [
    { type: 'ScheduleDrop', dropId, definition, now: '2026-11-01T09:00:00Z' },
    { type: 'OpenPreOrderWindow', dropId, now: '2026-12-01T10:00:00Z' },
    place(1, 'M', 2),
    place(2, 'M', 1, true),
    place(3, 'M', 3),
    place(4, 'L', 1),
    place(5, 'M', 1),
    place(6, 'M', 2),
    place(7, 'M', 1),
    { type: 'CancelPreOrder', dropId, preOrderId: po(7), now: T_DURING, actor: { subject: 'c-7', roles: ['customer'] } },
    { type: 'ClosePreOrderWindow', dropId, now: '2026-12-08T10:00:00Z' },
    { type: 'StartProductionRun', dropId, runId: run(1), now: T_DONE },
    { type: 'CompleteProductionRun', dropId, runId: run(1), producedBySku: { M: 4, L: 1 }, rejectedBySku: {}, now: T_DONE },
    { type: 'RequestRefund', dropId, preOrderId: po(5), reason: 'changed mind', now: T_DONE },
    { type: 'RequestProductionRun', dropId, runId: run(2), unitsBySku: { M: 5 }, now: T_DONE },
    { type: 'StartProductionRun', dropId, runId: run(2), now: T_DONE },
    { type: 'CompleteProductionRun', dropId, runId: run(2), producedBySku: { M: 5 }, rejectedBySku: {}, now: T_DONE },
  ];
  let state = initialState();
  const events: DropEvent[] = [];
  for (const command of commands) {
    for (const event of decide(command, state)) {
      state = evolve(state, event);
      events.push(event);
    }
  }
  return { events, state };
}

/** The events as the store would record them (latest schema versions). */
function recorded(dropId: string, events: DropEvent[]): RecordedEvent[] {
  return events.map((e, revision) => ({
    eventId: randomUUID(),
    type: e.type,
    schemaVersion: EVENT_SCHEMA_VERSIONS[e.type],
    data: e.data as Record<string, unknown>,
    metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: T_DONE, traceparent: '' },
    streamName: `drop-${dropId}`,
    revision,
    position: String(revision),
    recordedAt: T_DONE,
  }));
}

describe('FulfillmentHandler (PGlite, through the CloudEvents codec)', () => {
  let db: EmbeddedDatabase;
  let consumer: EffectivelyOnceConsumer;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    consumer = new EffectivelyOnceConsumer(db.pool, codec, new FulfillmentHandler(3), new TableDeadLetterSink(db.pool, 'fulfillment'));
    await consumer.migrate();
    await new TableDeadLetterSink(db.pool, 'fulfillment').ensureSchema();
  });
  afterAll(async () => {
    await db?.close();
  });

  const tasksOf = async (dropId: string) =>
    Object.fromEntries(
      (
        await db.pool.query<{ pre_order_id: string; run_id: string; kind: string }>(
          `select pre_order_id, run_id, kind from fulfillment.tasks where drop_id = $1 order by pre_order_id`,
          [dropId],
        )
      ).rows.map((r) => [r.pre_order_id, `${r.run_id} ${r.kind}`]),
    );
  /** The covering run of every covered pre-order as the engine's own fold has it, with the hand-over kind. */
  const coveredInDomain = (state: DropState) => {
    if (state.status === 'initial') throw new Error('unreachable');
    return Object.fromEntries(
      state.acceptance.filter((p) => p.coveredByRunId).map((p) => [p.preOrderId, `${p.coveredByRunId} ${p.fulfillment.method}`]),
    );
  };

  it('opens a task for exactly the pre-orders the engine covered, run by run, from events that name none', async () => {
    const dropId = 'fulfil-v2';
    const { events, state } = decidedDrop(dropId);
    const completions = events.filter((e): e is ProductionRunCompleted => e.type === 'ProductionRunCompleted');
    expect(completions.map((e) => Object.keys(e.data))).not.toContainEqual(expect.arrayContaining(['coveredPreOrderIds']));
    for (const [i, event] of recorded(dropId, events).entries()) {
      expect(await consumer.handle({ ...codec.encode(event), offset: String(i) })).not.toBe('dead-lettered');
    }
    const po = (n: number) => `${dropId}.po.${n}`;
    expect(await tasksOf(dropId)).toEqual({
      [po(1)]: `${dropId}.run.1 ship`,
      [po(2)]: `${dropId}.run.1 pickup`,
      [po(3)]: `${dropId}.run.2 ship`,
      [po(4)]: `${dropId}.run.1 ship`,
      [po(6)]: `${dropId}.run.2 ship`,
    });
    expect(await tasksOf(dropId)).toEqual(coveredInDomain(state));
  });

  it('writes the same pre-orders and tasks from one page (the in-process feed: runs of PreOrderPlaced in one insert)', async () => {
    const dropId = 'fulfil-page';
    const { events, state } = decidedDrop(dropId);
    const messages = recorded(dropId, events).map((e, i) => ({ ...codec.encode(e), offset: String(i) }));
    const saved: string[][] = [];
    const page = await consumer.handleAll(messages, async (_tx, outcomes) => void saved.push([...outcomes]));
    expect(page?.transaction).toBe(true);
    const handled = (e: DropEvent) => consumer.handler.eventTypes.has(e.type);
    expect(saved).toEqual([events.map((e) => (handled(e) ? 'applied' : 'skipped'))]);
    expect(await tasksOf(dropId)).toEqual(coveredInDomain(state));
    const preOrders = (id: string) =>
      db.pool
        .query(
          `select replace(pre_order_id, $1, '') as po, customer_id, sku, quantity, method, location_id, cancelled, sequence, refund_requested
             from fulfillment.pre_orders where drop_id = $1 order by pre_order_id`,
          [id],
        )
        .then((r) => r.rows);
    expect(await preOrders(dropId)).toEqual(await preOrders('fulfil-v2'));
    expect((await preOrders(dropId)).find((p) => p.po === '.po.2')).toMatchObject({ method: 'pickup', location_id: 'popup-1' });
    // The page again (a re-read after a crash before the checkpoint): every event a duplicate, nothing changes.
    const again = await consumer.handleAll(messages, async () => undefined);
    expect(again?.outcomes).toEqual(events.map((e) => (handled(e) ? 'duplicate' : 'skipped')));
    expect(await tasksOf(dropId)).toEqual(coveredInDomain(state));
  });

  it('cancels an open task when a refund is requested (the engine refuses its dispatch); a pickup made ready stays', async () => {
    const dropId = 'fulfil-refund';
    const { events, state } = decidedDrop(dropId);
    const po = (n: number) => `${dropId}.po.${n}`;
    const later = '2026-12-26T09:00:00Z';
    let s = state;
    const more: DropEvent[] = [];
    const run = (command: DropCommand) => {
      for (const event of decide(command, s)) {
        s = evolve(s, event);
        more.push(event);
      }
    };
    run({ type: 'MarkReadyForPickup', dropId, preOrderId: po(2), now: later });
    run({ type: 'RequestRefund', dropId, preOrderId: po(1), reason: 'damaged in the post', now: later });
    run({ type: 'RequestRefund', dropId, preOrderId: po(2), reason: 'moved away', now: later });
    expect(() =>
      decide({ type: 'DispatchShipment', dropId, preOrderId: po(1), carrier: 'dhl', trackingNumber: 't', now: later }, s),
    ).toThrow('has a refund requested');
    for (const [i, event] of recorded(dropId, [...events, ...more]).entries())
      expect(await consumer.handle({ ...codec.encode(event), offset: String(i) })).not.toBe('dead-lettered');

    const { rows } = await db.pool.query<{ pre_order_id: string; status: string; done_at: Date | null }>(
      `select pre_order_id, status, done_at from fulfillment.tasks where drop_id = $1 order by pre_order_id`,
      [dropId],
    );
    const byId = new Map(rows.map((r) => [r.pre_order_id, r]));
    expect(byId.get(po(1))).toMatchObject({ status: 'cancelled', done_at: new Date(later) });
    expect(byId.get(po(2))).toMatchObject({ status: 'ready', done_at: null });
    expect([po(3), po(4), po(6)].map((id) => byId.get(id)?.status)).toEqual(['open', 'open', 'open']);
    // Neither listed as open nor, past its deadline, as late.
    const tasks = new FulfillmentTasks(db.pool, {} as EngineCommands, () => new Date('2027-02-01T00:00:00Z'));
    expect((await tasks.open(dropId)).tasks.map((t) => t.preOrderId)).toEqual([po(2), po(3), po(4), po(6)].sort());
    expect((await tasks.late()).tasks.map((t) => t.preOrderId).filter((id) => id.startsWith(dropId))).toEqual([po(3), po(4), po(6)].sort());
  });

  it('pages the task lists by exact deadline and pre-order id: every task once, microseconds and ties included', async () => {
    const dropId = 'fulfil-pages';
    const due = ['2027-01-05 10:00:00.000001+00', '2027-01-05 10:00:00.000002+00', '2027-01-05 10:00:00+00', '2027-01-05 10:00:00+00'];
    for (const [i, at] of due.entries())
      await db.pool.query(
        `insert into fulfillment.tasks (pre_order_id, drop_id, run_id, kind, customer_id, sku, quantity, status, created_at, dispatch_due_at)
         values ($1, $2, 'r', 'ship', 'c', 'M', 1, 'open', now(), $3)`,
        [`${dropId}.po.${i}`, dropId, at],
      );
    const tasks = new FulfillmentTasks(db.pool, {} as EngineCommands, () => new Date('2027-02-01T00:00:00Z'));
    const seen: string[] = [];
    let after: ReturnType<typeof parseCursor>;
    for (let i = 0; i < 10; i++) {
      const page = await tasks.open(dropId, { limit: 1, after });
      seen.push(...page.tasks.map((t) => t.preOrderId));
      if (page.next === undefined) break;
      after = parseCursor(page.next);
    }
    expect(seen).toEqual([`${dropId}.po.2`, `${dropId}.po.3`, `${dropId}.po.0`, `${dropId}.po.1`]);
    const all = await tasks.open(dropId, { limit: 4 });
    expect([all.tasks.length, all.next]).toEqual([4, undefined]);
    // A cursor that is not one of these lists' is refused before any query.
    for (const forged of ['zzz', Buffer.from(JSON.stringify(['1e3', 'x'])).toString('base64url')])
      expect(parseCursor(forged)).toBeUndefined();
  });

  it('reads v1 messages (id lists, published before schema v2) to the same tasks', async () => {
    const dropId = 'fulfil-v1';
    const { events, state } = decidedDrop(dropId);
    const po = (n: number) => `${dropId}.po.${n}`;
    const v1Lists: Record<string, { coveredPreOrderIds: string[]; uncoveredPreOrderIds: string[] }> = {
      [`${dropId}.run.1`]: { coveredPreOrderIds: [po(1), po(2), po(4)], uncoveredPreOrderIds: [po(3), po(5), po(6)] },
      [`${dropId}.run.2`]: { coveredPreOrderIds: [po(3), po(6)], uncoveredPreOrderIds: [] },
    };
    for (const [i, event] of recorded(dropId, events).entries()) {
      let message: InboundMessage = { ...codec.encode(event), offset: String(i) };
      if (event.type === 'ProductionRunCompleted') {
        const { coveredPreOrderCount: _c, uncoveredPreOrderCount: _u, ...facts } = event.data;
        const v1 = { ...facts, ...v1Lists[event.data.runId as string] };
        message = {
          ...message,
          headers: { ...message.headers, ce_type: 'dropline.productionrun.completed.v1' },
          value: Buffer.from(JSON.stringify(v1)),
        };
      }
      expect(await consumer.handle(message)).not.toBe('dead-lettered');
    }
    expect(await tasksOf(dropId)).toEqual(coveredInDomain(state));
  });

  it('dead-letters a run whose allocation it cannot reproduce (it missed a cancellation) instead of opening wrong tasks', async () => {
    const dropId = 'fulfil-gap';
    const { events } = decidedDrop(dropId);
    const stored = recorded(dropId, events);
    const firstCompletion = stored.findIndex((e) => e.type === 'ProductionRunCompleted');
    for (const [i, event] of stored.slice(0, firstCompletion + 1).entries()) {
      if (event.type === 'PreOrderCancelled') continue; // lost: #7 looks active and waiting to this consumer
      await consumer.handle({ ...codec.encode(event), offset: String(i) });
    }
    expect(await tasksOf(dropId)).toEqual({});
    const { rows } = await db.pool.query<{ reason: string; detail: string }>(
      `select reason, detail from fulfillment.dead_letters where ce_id = $1`,
      [stored[firstCompletion].eventId],
    );
    expect(rows).toEqual([
      {
        reason: 'rejected:FULFILLMENT.ALLOCATION_MISMATCH',
        detail: expect.stringMatching(/covered 3 and left 3 waiting; .* gives 3 and 4/),
      },
    ]);
  });

  it('dead-letters a run over pre-orders stored before it kept the acceptance order (no sequence)', async () => {
    const dropId = 'fulfil-legacy';
    const { events } = decidedDrop(dropId);
    const stored = recorded(dropId, events);
    const firstCompletion = stored.findIndex((e) => e.type === 'ProductionRunCompleted');
    for (const [i, event] of stored.slice(0, firstCompletion).entries())
      await consumer.handle({ ...codec.encode(event), offset: String(i) });
    // What the previous version of this consumer stored: no sequence column value.
    await db.pool.query(`update fulfillment.pre_orders set sequence = null where pre_order_id = $1`, [`${dropId}.po.3`]);
    expect(await consumer.handle(codec.encode(stored[firstCompletion]))).toBe('dead-lettered');
    const { rows } = await db.pool.query(`select reason from fulfillment.dead_letters where ce_id = $1`, [stored[firstCompletion].eventId]);
    expect(rows).toEqual([{ reason: 'rejected:FULFILLMENT.UNKNOWN_ACCEPTANCE_ORDER' }]);
    expect(await tasksOf(dropId)).toEqual({});
  });

  it('redrives that run once the pre-orders are backfilled: the tasks the engine covered, once', async () => {
    const dropId = 'fulfil-redrive';
    const { events } = decidedDrop(dropId);
    const stored = recorded(dropId, events);
    const firstCompletion = stored.findIndex((e) => e.type === 'ProductionRunCompleted');
    for (const [i, event] of stored.slice(0, firstCompletion).entries())
      await consumer.handle({ ...codec.encode(event), offset: String(i) });
    const po3 = `${dropId}.po.3`;
    const { rows: before } = await db.pool.query(`select sequence from fulfillment.pre_orders where pre_order_id = $1`, [po3]);
    await db.pool.query(`update fulfillment.pre_orders set sequence = null where pre_order_id = $1`, [po3]);
    expect(await consumer.handle(codec.encode(stored[firstCompletion]))).toBe('dead-lettered');
    const ledger = new DeadLetterLedger(db.pool, consumer);
    const waiting = (await ledger.list({ limit: 100, pending: true, reason: 'rejected:FULFILLMENT.UNKNOWN_ACCEPTANCE_ORDER' })).deadLetters;
    const mine = waiting.filter((d) => d.ceId === stored[firstCompletion].eventId);
    expect(mine).toHaveLength(1);
    // Still refused while the cause is there: a new dead letter, no task.
    expect(await ledger.redrive([mine[0].id])).toEqual([{ id: mine[0].id, outcome: 'dead-lettered' }]);
    expect(await tasksOf(dropId)).toEqual({});
    const again = (await ledger.list({ limit: 100, pending: true })).deadLetters.filter((d) => d.ceId === stored[firstCompletion].eventId);
    expect(again).toHaveLength(1);
    // The operator backfills what the earlier version did not store, then redrives.
    await db.pool.query(`update fulfillment.pre_orders set sequence = $2 where pre_order_id = $1`, [po3, before[0].sequence]);
    expect(await ledger.redrive([again[0].id])).toEqual([{ id: again[0].id, outcome: 'applied' }]);
    const run1 = `${dropId}.run.1`;
    const covered = { [`${dropId}.po.1`]: `${run1} ship`, [`${dropId}.po.2`]: `${run1} pickup`, [`${dropId}.po.4`]: `${run1} ship` };
    expect(await tasksOf(dropId)).toEqual(covered);
    // The live consumer seeing the completion again changes nothing.
    expect(await consumer.handle(codec.encode(stored[firstCompletion]))).toBe('duplicate');
    expect(await tasksOf(dropId)).toEqual(covered);
  });
  it('skips access events safely: members granted and withdrawn, phases opened, nothing dead-lettered, no row', async () => {
    const dropId = 'fulfil-phases';
    const ops = { subject: 'ops-1', roles: ['ops'] as const };
    const now = '2026-11-20T09:00:00Z';
    const phased: DropDefinition = {
      ...definition,
      city: 'Bristol',
      phases: [{ name: 'members', opensAt: '2026-11-28T10:00:00Z', audience: 'members', allocation: { M: 10 } }],
    };
    const commands: DropCommand[] = [
      { type: 'ScheduleDrop', dropId, definition: phased, now },
      { type: 'AddDropMembers', dropId, customerIds: ['ana', 'bo'], actor: ops, now },
      { type: 'OpenAccessPhase', dropId, phase: 'members', manual: true, now },
      { type: 'RemoveDropMembers', dropId, customerIds: ['bo'], actor: ops, now },
    ];
    let state = initialState();
    const events: DropEvent[] = [];
    for (const command of commands)
      for (const event of decide(command, state)) {
        state = evolve(state, event);
        events.push(event);
      }
    const stored = recorded(dropId, events);
    const outcomes = [];
    for (const [i, event] of stored.entries())
      outcomes.push([event.type, await consumer.handle({ ...codec.encode(event), offset: String(i) })]);
    expect(outcomes).toEqual([
      ['DropScheduled', 'skipped'],
      ['DropMembersAdded', 'skipped'],
      ['AccessPhaseOpened', 'skipped'],
      ['DropMembersRemoved', 'skipped'],
    ]);
    const count = async (sql: string, param: unknown) => (await db.pool.query(sql, [param])).rows[0].n;
    expect(await count(`select count(*)::int as n from fulfillment.pre_orders where drop_id = $1`, dropId)).toBe(0);
    expect(await count(`select count(*)::int as n from fulfillment.tasks where drop_id = $1`, dropId)).toBe(0);
    expect(
      await count(
        `select count(*)::int as n from fulfillment.dead_letters where ce_id = any($1)`,
        stored.map((e) => e.eventId),
      ),
    ).toBe(0);
  });
});
