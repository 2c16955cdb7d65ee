import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { harbourHoodie } from './support/test-engine';
import { bearer, mintTestToken } from '../../../libs/platform/src/testing/test-auth';

/**
 * Access phases across OS processes: two built engines on one PostgreSQL take pre-orders from
 * buyers of every audience while ops open the next phase (and later the public window) on the
 * other engine, mid-race. Whatever interleaving happens, the stored stream must show: nobody
 * served before their phase, no phase selling past its allocation (plus what rolled into it),
 * sold units plus open reservations never above the cap, and exactly the cap sold in the end.
 * The stream is checked by an oracle written here from docs/community.md, not by the decider.
 */
const SKU = 'HOT-1';
const CAP = 120;
/** Buyers of each kind over the two racing waves (half each): 5 kinds × 52 = 260 per wave. */
const BUYERS_PER_KIND = 104;
const PHASES = [
  { name: 'members', audience: 'members', allocation: 40 },
  { name: 'repeat', audience: 'repeat-customers', allocation: 20 },
  { name: 'city', audience: 'city', allocation: undefined },
  { name: 'public', audience: 'everyone', allocation: undefined },
] as const;

type Kind = 'member' | 'repeat' | 'city-claim' | 'city-pickup' | 'public';
/** The first phase (index into PHASES) whose audience admits each kind of buyer. */
const FIRST_PHASE: Record<Kind, number> = { member: 0, repeat: 1, 'city-claim': 2, 'city-pickup': 2, public: 3 };
const PREFIX: Record<Kind, string> = { member: 'm', repeat: 'r', 'city-claim': 'k', 'city-pickup': 'q', public: 'p' };
const kindOf = (customerId: string): Kind => (Object.keys(PREFIX) as Kind[]).find((k) => customerId.startsWith(`${PREFIX[k]}-`))!;

interface Answer {
  status: number;
  code?: string;
  phase?: string;
  customer: string;
  engine: number;
}

describe('access phases: two engine processes on one PostgreSQL', () => {
  requirePostgres();
  let db: Awaited<ReturnType<typeof createTestPostgresDatabase>>;
  let engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestPostgresDatabase('access_phases_two_engines');
    const env = { EVENT_STORE: 'postgres', DATABASE_URL: db.url, RUN_SCHEDULER: 'true' };
    engines = [await startEngineProcess(env), await startEngineProcess(env)];
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    await db?.drop();
  });

  const post = async (engine: number, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${engines[engine].url}${path}`, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const buy = async (engine: number, dropId: string, customer: string): Promise<Answer> => {
    const kind = kindOf(customer);
    const token = mintTestToken('customer', customer, kind === 'city-claim' ? { claims: { city: 'Bristol' } } : {});
    const fulfillment = kind === 'city-pickup' ? { method: 'pickup', locationId: 'popup-harbourside' } : { method: 'ship' };
    const res = await post(
      engine,
      `/drops/${dropId}/pre-orders`,
      { authorization: `Bearer ${token}`, 'idempotency-key': `k-${customer}` },
      { sku: SKU, quantity: 1, channel: 'web', fulfillment },
    );
    return { status: res.status, code: res.body.code as string | undefined, phase: res.body.phase as string | undefined, customer, engine };
  };

  /** `n` buyers of each kind, numbered from `from`, in an interleaved order. */
  const buyers = (from: number, n: number): string[] => {
    const out: string[] = [];
    for (let i = from; i < from + n; i++) for (const kind of Object.keys(PREFIX) as Kind[]) out.push(`${PREFIX[kind]}-${i}`);
    return out;
  };

  /** Fires every buyer at once, alternating engines, and runs `meanwhile` on the other side of the race. */
  const race = async (dropId: string, customers: string[], meanwhile: () => Promise<void>): Promise<Answer[]> => {
    const orders = customers.map((c, i) => buy(i % 2, dropId, c));
    await new Promise((resolve) => setTimeout(resolve, 15));
    await meanwhile();
    return Promise.all(orders);
  };

  it('serves nobody before their phase, never exceeds a reservation or the cap, and sells exactly the cap', async () => {
    const now = Date.now();
    const at = (hours: number) => new Date(now + hours * 3_600_000).toISOString();
    const ops = bearer('ops');

    // Repeat customers bought in an earlier drop (the read model answers "repeat" from it).
    const warmup = await post(
      0,
      '/drops',
      ops,
      harbourHoodie({
        name: 'Warm-up run',
        window: { opensAt: at(-1), closesAt: at(24) },
        earlyAccess: undefined,
        minimumOrderQuantity: 1,
        perCustomerLimit: 1,
        variants: [{ sku: 'WARM-1', size: 'M', colour: 'grey', editionCap: 500 }],
      }),
    );
    expect(warmup.status).toBe(201);
    const warmupId = warmup.body.dropId as string;
    expect((await post(0, `/drops/${warmupId}/open`, ops)).status).toBe(200);
    for (let i = 0; i < BUYERS_PER_KIND; i++) {
      const token = mintTestToken('customer', `r-${i}`);
      const r = await post(
        i % 2,
        `/drops/${warmupId}/pre-orders`,
        { authorization: `Bearer ${token}`, 'idempotency-key': `warm-${i}` },
        { sku: 'WARM-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      );
      expect(r.status).toBe(201);
    }
    const projected = async () =>
      (await db.pool.query(`select count(*)::int as n from rm_customer_pre_orders where drop_id = $1`, [warmupId])).rows[0].n as number;
    for (let waited = 0; (await projected()) < BUYERS_PER_KIND; waited += 100) {
      if (waited > 30_000) throw new Error('the warm-up pre-orders never reached the read model');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // The phased drop: every phase in the future, so only ops' hands move it (the scheduler runs and finds nothing due).
    const created = await post(
      0,
      '/drops',
      ops,
      harbourHoodie({
        variants: [{ sku: SKU, size: 'M', colour: 'red', editionCap: CAP }],
        priceTiers: [{ unitPrice: 3000 }],
        basketTiers: undefined,
        earlyAccess: undefined,
        window: { opensAt: at(96), closesAt: at(120) },
        phases: PHASES.slice(0, 3).map((p, i) => ({
          name: p.name,
          opensAt: at(24 * (i + 1)),
          audience: p.audience,
          ...(p.allocation ? { allocation: { [SKU]: p.allocation } } : {}),
        })),
        perCustomerLimit: 1,
        minimumOrderQuantity: 1,
      }),
    );
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    const members = Array.from({ length: BUYERS_PER_KIND }, (_, i) => `m-${i}`);
    expect((await post(1, `/drops/${dropId}/members`, ops, { customerIds: members })).status).toBe(200);
    expect((await post(0, `/drops/${dropId}/phases/members/open`, ops)).status).toBe(200);

    // Wave 1: 260 buyers of every audience while ops open the repeat-customer phase on the other engine.
    const wave1 = await race(dropId, buyers(0, BUYERS_PER_KIND / 2), async () => {
      expect((await post(1, `/drops/${dropId}/phases/repeat/open`, ops)).status).toBe(200);
    });
    // Wave 2: 260 more while ops open the city phase and then the public window.
    const wave2 = await race(dropId, buyers(BUYERS_PER_KIND / 2, BUYERS_PER_KIND / 2), async () => {
      expect((await post(0, `/drops/${dropId}/phases/city/open`, ops)).status).toBe(200);
      expect((await post(1, `/drops/${dropId}/open`, ops)).status).toBe(200);
    });
    // Wave 3: public buyers until it is sold out.
    const wave3 = await race(
      dropId,
      Array.from({ length: 150 }, (_, i) => `p-${1000 + i}`),
      async () => undefined,
    );
    const answers = [...wave1, ...wave2, ...wave3];
    expect(answers.length).toBeGreaterThanOrEqual(256 * 2);

    // HTTP: only acceptances and the documented refusals; each engine served some of both.
    const refusals = new Set([
      'DROP.PHASE_NOT_OPEN',
      'DROP.EARLY_ACCESS_ONLY',
      'DROP.ALLOCATION_EXHAUSTED',
      'DROP.SOLD_OUT',
      'DROP.INSUFFICIENT_STOCK',
    ]);
    for (const a of answers) {
      if (a.status === 201) continue;
      expect({ customer: a.customer, status: a.status, code: a.code }).toEqual({
        customer: a.customer,
        status: 409,
        code: expect.any(String),
      });
      expect(refusals.has(a.code!)).toBe(true);
      // A refusal for the phase names the buyer's own first phase.
      if (a.code === 'DROP.PHASE_NOT_OPEN' || a.code === 'DROP.EARLY_ACCESS_ONLY')
        expect(a.phase).toBe(PHASES[FIRST_PHASE[kindOf(a.customer)]].name);
    }
    for (const engine of [0, 1]) expect(answers.filter((a) => a.engine === engine && a.status === 201).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(CAP);

    // The stored stream, replayed by the oracle.
    const { rows } = await db.pool.query(`select type, data from events where stream_name = $1 order by revision`, [`drop-${dropId}`]);
    let phase = -1;
    let reservedLater = PHASES.reduce((sum, p) => sum + (p.allocation ?? 0), 0);
    let allocationLeft: number | undefined;
    let net = 0;
    const memberSet = new Set<string>();
    const soldInPhase = [0, 0, 0, 0];
    const openThrough = (target: number, rolledOver?: Record<string, number>) => {
      for (let i = phase + 1; i <= target; i++) {
        const allocation = PHASES[i].allocation;
        if (i === target && rolledOver !== undefined)
          expect(rolledOver[SKU] ?? 0).toBe(allocation !== undefined ? (allocationLeft ?? 0) : 0);
        if (allocation === undefined) allocationLeft = undefined;
        else {
          reservedLater -= allocation;
          allocationLeft = allocation + (allocationLeft ?? 0);
        }
        phase = i;
      }
    };
    const placedBy = new Set<string>();
    for (const { type, data } of rows as Array<{ type: string; data: Record<string, unknown> }>) {
      if (type === 'DropMembersAdded') for (const id of data.customerIds as string[]) memberSet.add(id);
      if (type === 'AccessPhaseOpened')
        openThrough(
          PHASES.findIndex((p) => p.name === data.phase),
          data.rolledOver as Record<string, number>,
        );
      if (type === 'PreOrderWindowOpened') openThrough(PHASES.length - 1);
      if (type !== 'PreOrderPlaced') continue;
      const customer = data.customerId as string;
      const kind = kindOf(customer);
      // Nobody served before their phase (members only while on the list).
      expect({ customer, phase }).toEqual({ customer, phase: Math.max(phase, FIRST_PHASE[kind]) });
      if (kind === 'member') expect(memberSet.has(customer)).toBe(true);
      const quantity = data.quantity as number;
      soldInPhase[phase] += quantity;
      if (allocationLeft !== undefined) {
        allocationLeft -= quantity;
        expect(allocationLeft).toBeGreaterThanOrEqual(0);
      }
      net += quantity;
      expect(net + (allocationLeft ?? 0) + reservedLater).toBeLessThanOrEqual(CAP);
      placedBy.add(customer);
    }
    expect(phase).toBe(PHASES.length - 1);
    expect(net).toBe(CAP);
    expect(placedBy.size).toBe(CAP);
    // The members phase sold at most its 40; the repeat phase at most its 20 plus what rolled into it.
    expect(soldInPhase[0]).toBeLessThanOrEqual(40);
    expect(soldInPhase[0] + soldInPhase[1]).toBeLessThanOrEqual(60);

    // Both engines, and the read of the decided state, agree.
    for (const engine of engines) {
      const view = (await (await fetch(`${engine.url}/drops/${dropId}`, { headers: ops })).json()) as { netUnits: number };
      expect(view.netUnits).toBe(CAP);
    }
  });
});
