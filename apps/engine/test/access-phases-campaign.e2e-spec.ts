import { describeWithPostgres } from '../../../test/support/postgres';
import { mintTestToken } from '../../../libs/platform/src/testing/test-auth';
import { DropScheduler } from '../src/scheduler/drop-scheduler';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * A whole phased campaign over HTTP with a manual clock: members (with an allocation) → repeat
 * customers → the city → everyone, moved by the scheduler alone; ineligible buyers refused with
 * their phase and its opening time; the drop closes at sell-out with exactly the cap stored; every
 * transition in the history with its actor and cause.
 */
const SKU = 'HH-M-NAVY';
const CAP = 20;
const T = {
  before: '2026-11-24T10:00:00Z',
  members: '2026-11-25T10:00:00Z',
  repeat: '2026-11-26T10:00:00Z',
  city: '2026-11-27T10:00:00Z',
  open: '2026-11-28T10:00:00Z',
  close: '2026-12-05T10:00:00Z',
};

function campaign(store: 'pglite' | 'postgres') {
  let engine: TestEngine;
  let scheduler: DropScheduler;
  beforeAll(async () => {
    engine = await startTestEngine({ store, now: '2026-11-20T10:00:00Z' });
    scheduler = engine.app.get(DropScheduler);
  });
  afterAll(async () => engine?.close());

  async function settle(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await scheduler.tick();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /**
   * Sets the clock and ticks the scheduler; with a drop and a phase, until that phase is open (the
   * scheduler's index reads the log, which on PostgreSQL shows an append only below the safe horizon).
   */
  const at = async (instant: string, until?: { dropId: string; phase: string }) => {
    engine.clock.set(instant);
    await settle();
    for (const deadline = Date.now() + 30_000; until && (await view(until.dropId)).access?.openPhase !== until.phase;) {
      if (Date.now() > deadline) throw new Error(`phase ${until.phase} of drop ${until.dropId} never opened`);
      await settle();
    }
  };
  const buy = async (dropId: string, customer: string, options: { city?: string; pickup?: boolean; quantity?: number } = {}) => {
    const token = mintTestToken('customer', customer, options.city ? { claims: { city: options.city } } : {});
    const fulfillment = options.pickup ? { method: 'pickup', locationId: 'popup-harbourside' } : { method: 'ship' };
    return engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { sku: SKU, quantity: options.quantity ?? 2, channel: 'web', fulfillment },
      { authorization: `Bearer ${token}`, 'idempotency-key': `${customer}-${options.quantity ?? 2}` },
    );
  };
  const refusal = (res: { status: number; body: Record<string, unknown> }) => ({
    status: res.status,
    code: res.body.code,
    phase: res.body.phase,
    opensAt: res.body.opensAt,
  });
  const view = async (dropId: string) => (await engine.request('GET', `/drops/${dropId}`)).body;

  it('runs members → repeat customers → city → everyone and closes at sell-out with exactly the cap', async () => {
    // Two repeat customers bought in an earlier drop.
    const warmup = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        name: 'Warm-up',
        earlyAccess: undefined,
        window: { opensAt: '2026-11-20T09:00:00Z', closesAt: '2026-12-20T10:00:00Z' },
        minimumOrderQuantity: 1,
      }),
    );
    expect(warmup.status).toBe(201);
    // The engine just started: its scheduler may not hold its lease, or have indexed the drop, for a
    // few ticks yet (seen on a loaded machine). Tick until the window it is past has opened.
    for (let waited = 0; (await view(warmup.body.dropId)).status !== 'open'; waited += 100) {
      if (waited > 20_000) throw new Error('the warm-up drop never opened');
      await scheduler.tick();
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const customer of ['r-1', 'r-2']) expect((await buy(warmup.body.dropId, customer, { quantity: 1 })).status).toBe(201);
    for (let waited = 0; ; waited += 100) {
      const { rows } = await engine.databases.readModels.query(`select count(*)::int as n from rm_customer_pre_orders where drop_id = $1`, [
        warmup.body.dropId,
      ]);
      if (rows[0].n === 2) break;
      if (waited > 20_000) throw new Error('the warm-up pre-orders never reached the read model');
      await new Promise((r) => setTimeout(r, 100));
    }

    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        name: 'Harbour Hoodie, members run',
        variants: [{ sku: SKU, size: 'M', colour: 'navy', editionCap: CAP }],
        priceTiers: [{ unitPrice: 3000 }],
        basketTiers: undefined,
        earlyAccess: undefined,
        window: { opensAt: T.open, closesAt: T.close },
        phases: [
          { name: 'members', opensAt: T.members, audience: 'members', allocation: { [SKU]: 6 } },
          { name: 'repeat', opensAt: T.repeat, audience: 'repeat-customers', allocation: { [SKU]: 4 } },
          { name: 'city', opensAt: T.city, audience: 'city' },
        ],
        onSellOut: 'close',
        perCustomerLimit: 2,
        minimumOrderQuantity: 5,
      }),
    );
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    const members = await engine.request('POST', `/drops/${dropId}/members`, { customerIds: ['m-1', 'm-2', 'm-3'] });
    expect(members).toMatchObject({ status: 200, body: { dropId, members: 3 } });
    expect((await engine.request('DELETE', `/drops/${dropId}/members/m-3`)).body).toMatchObject({ members: 2 });

    // Before the drop is public it does not exist for a buyer, as on the storefront; once ops
    // announce it, and before anything opens, a member learns when their phase opens.
    await at(T.before);
    expect(refusal(await buy(dropId, 'm-1'))).toEqual({ status: 404, code: 'DROP.NOT_FOUND', phase: undefined, opensAt: undefined });
    expect((await engine.request('POST', `/drops/${dropId}/announce`)).status).toBe(200);
    expect(refusal(await buy(dropId, 'm-1'))).toEqual({ status: 409, code: 'DROP.WINDOW_NOT_OPEN', phase: 'members', opensAt: T.members });

    // Members: 6 reserved; two members buy 4. Everyone else is told their own phase.
    await at(T.members, { dropId, phase: 'members' });
    expect((await view(dropId)).access.openPhase).toBe('members');
    expect((await buy(dropId, 'm-1')).status).toBe(201);
    expect((await buy(dropId, 'm-2')).status).toBe(201);
    expect(refusal(await buy(dropId, 'm-3'))).toEqual({ status: 409, code: 'DROP.PHASE_NOT_OPEN', phase: 'public', opensAt: T.open });
    expect(refusal(await buy(dropId, 'r-1'))).toEqual({ status: 409, code: 'DROP.PHASE_NOT_OPEN', phase: 'repeat', opensAt: T.repeat });
    expect(refusal(await buy(dropId, 'k-1', { city: 'Bristol' }))).toEqual({
      status: 409,
      code: 'DROP.PHASE_NOT_OPEN',
      phase: 'city',
      opensAt: T.city,
    });
    expect(refusal(await buy(dropId, 'p-1'))).toEqual({ status: 409, code: 'DROP.PHASE_NOT_OPEN', phase: 'public', opensAt: T.open });

    // Repeat customers: their 4 plus the 2 the members left.
    await at(T.repeat, { dropId, phase: 'repeat' });
    const repeat = await view(dropId);
    expect(repeat.access.openPhase).toBe('repeat');
    expect(repeat.skus[0]).toMatchObject({ availableInPhase: 6, reservedForLaterPhases: 0 });
    expect((await buy(dropId, 'r-1')).status).toBe(201);
    expect((await buy(dropId, 'r-2')).status).toBe(201);
    expect(refusal(await buy(dropId, 'k-2', { city: 'Bristol' }))).toEqual({
      status: 409,
      code: 'DROP.EARLY_ACCESS_ONLY',
      phase: 'city',
      opensAt: T.city,
    });

    // The city: by the token's claim, or by picking up at the drop's location. A token of another city waits.
    await at(T.city, { dropId, phase: 'city' });
    expect((await buy(dropId, 'k-1', { city: 'Bristol' })).status).toBe(201);
    expect((await buy(dropId, 'q-1', { pickup: true })).status).toBe(201);
    expect(refusal(await buy(dropId, 'k-9', { city: 'Leeds' }))).toEqual({
      status: 409,
      code: 'DROP.PHASE_NOT_OPEN',
      phase: 'public',
      opensAt: T.open,
    });

    // Everyone: 8 units left; the pre-order that sells the last one closes the window and tips the drop.
    await at(T.open, { dropId, phase: 'public' });
    expect((await view(dropId)).access.openPhase).toBe('public');
    for (const customer of ['p-1', 'p-2', 'p-3', 'p-4']) expect((await buy(dropId, customer)).status).toBe(201);
    expect(refusal(await buy(dropId, 'p-5'))).toMatchObject({ status: 409, code: 'DROP.SOLD_OUT' });
    const final = await view(dropId);
    expect(final).toMatchObject({ status: 'tipped', netUnits: CAP, soldOut: true, onSellOut: 'close' });

    // The stored units are exactly the cap, and every transition is in the history with its cause.
    const history = (await engine.request('GET', `/drops/${dropId}/history?limit=1000`)).body.events as Array<Record<string, any>>;
    const placed = history.filter((e) => e.type === 'PreOrderPlaced');
    expect(placed.reduce((sum, e) => sum + e.data.quantity, 0)).toBe(CAP);
    const scheduledEvent = history.find((e) => e.type === 'DropScheduled')!;
    const transitions = history.filter((e) => e.type === 'AccessPhaseOpened' || e.type === 'PreOrderWindowOpened');
    expect(transitions.map((e) => [e.type, e.data.phase, e.data.trigger, e.data.rolledOver])).toEqual([
      ['AccessPhaseOpened', 'members', 'schedule', {}],
      ['AccessPhaseOpened', 'repeat', 'schedule', { [SKU]: 2 }],
      ['AccessPhaseOpened', 'city', 'schedule', {}],
      ['PreOrderWindowOpened', undefined, undefined, undefined],
    ]);
    for (const e of transitions)
      expect({ actor: e.actor, causationId: e.causationId }).toEqual({ actor: 'system:scheduler', causationId: scheduledEvent.eventId });
    const closed = history.find((e) => e.type === 'PreOrderWindowClosed')!;
    expect(closed.actor).toBe('p-4');
    expect(history.filter((e) => e.type === 'TippingPointReached' || e.type === 'ProductionRunRequested')).toHaveLength(2);
    expect(history.find((e) => e.type === 'DropMembersAdded')).toMatchObject({
      data: { customerIds: ['m-1', 'm-2', 'm-3'], addedBy: 'ops-test' },
    });
    expect(history.find((e) => e.type === 'DropMembersRemoved')).toMatchObject({ data: { customerIds: ['m-3'], removedBy: 'ops-test' } });
  });
}

describe('access phases campaign (PGlite)', () => campaign('pglite'));

describeWithPostgres('access phases campaign (PostgreSQL)', () => campaign('postgres'));
