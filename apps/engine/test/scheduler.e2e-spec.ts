import { CommandBus } from '@nestjs/cqrs';
import { DropWriter } from '../src/drops/drop-writer';
import { LeaseFactory } from '@dropline/platform';
import { DropScheduler } from '../src/scheduler/drop-scheduler';
import { harbourHoodie, placePairs, startTestEngine, TestEngine } from './support/test-engine';

/** The durable scheduler moves drops along by time alone, derived from stored state. */
describe('scheduler (PGlite)', () => {
  let engine: TestEngine;
  let scheduler: DropScheduler;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-29T10:00:00Z' });
    scheduler = engine.app.get(DropScheduler);
  });
  afterAll(async () => engine?.close());

  const status = async (dropId: string) => (await engine.request('GET', `/drops/${dropId}`)).body.status;
  /** Ticks until the scheduler's subscription has caught up and nothing more changes. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await scheduler.tick();
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  it('opens early access, opens and closes the window, and decides the tipping point at closesAt', async () => {
    const { body } = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1 }));
    const dropId = body.dropId;
    await settle();
    expect(await status(dropId)).toBe('scheduled');

    engine.clock.set('2026-11-30T10:00:00Z');
    await settle();
    expect(await status(dropId)).toBe('early-access');

    engine.clock.set('2026-12-01T10:00:01Z');
    await settle();
    expect(await status(dropId)).toBe('open');
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 's1' },
    );
    expect(placed.status).toBe(201);

    engine.clock.set('2026-12-08T10:00:00Z');
    await settle();
    expect(await status(dropId)).toBe('tipped');
    const history = await engine.request('GET', `/drops/${dropId}/history?limit=1000`);
    const timed = history.body.events.filter((e: any) =>
      ['AccessPhaseOpened', 'PreOrderWindowOpened', 'PreOrderWindowClosed', 'TippingPointReached'].includes(e.type),
    );
    expect(timed.map((e: any) => e.type)).toEqual([
      'AccessPhaseOpened',
      'PreOrderWindowOpened',
      'PreOrderWindowClosed',
      'TippingPointReached',
    ]);
    // The earlyAccess shorthand is one repeat-customers phase, opened on time.
    expect(timed[0].data).toMatchObject({ phase: 'early-access', audience: 'repeat-customers', trigger: 'schedule' });
    for (const e of timed) expect(e.actor).toBe('system:scheduler');
  });

  it('opens each access phase on time, naming the DropScheduled or DropRevised that set its time as the cause', async () => {
    engine.clock.set('2026-11-29T10:00:00Z');
    const phases = [
      { name: 'members', opensAt: '2026-11-29T12:00:00Z', audience: 'members', allocation: { 'HH-M-NAVY': 5 } },
      { name: 'bristol', opensAt: '2026-11-30T10:00:00Z', audience: 'city' },
    ];
    const definition = harbourHoodie({ earlyAccess: undefined, phases });
    const asScheduled = (await engine.request('POST', '/drops', definition)).body.dropId as string;
    const toRevise = (await engine.request('POST', '/drops', definition)).body.dropId as string;
    const revised = await engine.request(
      'PUT',
      `/drops/${toRevise}`,
      { ...definition, phases: [{ ...phases[0], opensAt: '2026-11-29T13:00:00Z' }, phases[1]] },
      { 'x-correlation-id': 'revise-phases-1' },
    );
    expect(revised.status).toBe(200);
    const phaseEvents = async (dropId: string) => {
      const events = (await engine.request('GET', `/drops/${dropId}/history?limit=1000`)).body.events;
      return { events, opened: events.filter((e: any) => e.type === 'AccessPhaseOpened') };
    };

    // A second early: nothing opens.
    engine.clock.set('2026-11-29T11:59:59Z');
    await settle();
    expect(await status(asScheduled)).toBe('scheduled');
    expect((await phaseEvents(asScheduled)).opened).toEqual([]);

    // On time: the members phase of the first drop opens, the revised one (13:00) waits.
    engine.clock.set('2026-11-29T12:00:00Z');
    await settle();
    const first = await phaseEvents(asScheduled);
    const scheduled = first.events.find((e: any) => e.type === 'DropScheduled');
    expect(first.opened).toEqual([
      expect.objectContaining({
        actor: 'system:scheduler',
        causationId: scheduled.eventId,
        correlationId: scheduled.correlationId,
        data: expect.objectContaining({
          phase: 'members',
          audience: 'members',
          trigger: 'schedule',
          opensAt: '2026-11-29T12:00:00Z',
          openedAt: '2026-11-29T12:00:00.000Z',
        }),
      }),
    ]);
    const view = (await engine.request('GET', `/drops/${asScheduled}`)).body;
    expect(view).toMatchObject({ status: 'early-access', access: { openPhase: 'members' } });
    expect(await status(toRevise)).toBe('scheduled');

    // Past both of the revised drop's phases at once: each opens, in order, caused by the revision.
    engine.clock.set('2026-11-30T10:00:01Z');
    await settle();
    const second = await phaseEvents(toRevise);
    const revision = second.events.find((e: any) => e.type === 'DropRevised');
    expect(revision.correlationId).toBe('revise-phases-1');
    expect(second.opened.map((e: any) => [e.data.phase, e.data.trigger, e.actor, e.causationId, e.correlationId])).toEqual([
      ['members', 'schedule', 'system:scheduler', revision.eventId, 'revise-phases-1'],
      ['bristol', 'schedule', 'system:scheduler', revision.eventId, 'revise-phases-1'],
    ]);
    expect((await engine.request('GET', `/drops/${toRevise}`)).body.access.openPhase).toBe('bristol');
    // The first drop moved on to its city phase too, still caused by its DropScheduled.
    expect((await phaseEvents(asScheduled)).opened.map((e: any) => [e.data.phase, e.causationId])).toEqual([
      ['members', scheduled.eventId],
      ['bristol', scheduled.eventId],
    ]);
  });

  it('cancels a drop that missed its minimum and requests a refund for every pre-order', async () => {
    engine.clock.set('2026-11-29T10:00:00Z');
    const { body } = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 40, perCustomerLimit: 4 }));
    const dropId = body.dropId;
    engine.clock.set('2026-12-02T10:00:00Z');
    await settle();
    await placePairs(engine, dropId, 5, 'm');
    engine.clock.set('2026-12-09T00:00:00Z');
    await settle();
    expect(await status(dropId)).toBe('cancelled');
    const history = await engine.request('GET', `/drops/${dropId}/history?limit=1000`);
    const refunds = history.body.events.filter((e: any) => e.type === 'RefundRequested');
    expect(refunds).toHaveLength(5);
  });

  it('picks up due transitions from stored state after a restart (a fresh engine on the same store)', async () => {
    engine.clock.set('2026-11-29T10:00:00Z');
    const { body } = await engine.request('POST', '/drops', harbourHoodie({ earlyAccess: undefined }));
    const dropId = body.dropId;
    // The running scheduler stops before the window opens; a new instance (as after a
    // restart) knows nothing but the log, and must still open the window.
    await engine.app.get(DropScheduler).onApplicationShutdown();
    engine.clock.set('2026-12-03T10:00:00Z');
    const restarted = new DropScheduler(
      engine.config,
      engine.databases.store,
      engine.app.get(LeaseFactory),
      engine.app.get(CommandBus),
      engine.app.get(DropWriter),
      engine.clock,
    );
    restarted.onApplicationBootstrap();
    for (let i = 0; i < 5; i++) {
      await restarted.tick();
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(await status(dropId)).toBe('open');
    await restarted.onApplicationShutdown();
  });
});
