import { preOrderIdFor } from '@dropline/domain';
import { describeWithPostgres } from '../../../test/support/postgres';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Finding 1 of trust part 1: a customer cancelled 24 of 25 other customers' pre-orders.
 * Pre-order ids are predictable (customer + Idempotency-Key), and the guard let a cancel
 * through when the pre-order was still in an in-flight batch. Now the decider decides who
 * may cancel or return, on the very state the command is decided on.
 */
const BUYERS = 40;
const ORDERS_PER_BUYER = 3;
const ATTACKERS = 25;

function ownershipSuite(store: 'pglite' | 'postgres') {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ store, now: '2026-11-20T10:00:00Z' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const order = { sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } };
  const asCustomer = (sub: string) => ({ role: 'customer' as const, sub });

  async function openDrop(): Promise<string> {
    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 5000 }],
        perCustomerLimit: ORDERS_PER_BUYER,
        minimumOrderQuantity: 1,
        earlyAccess: undefined,
      }),
    );
    expect(created.status).toBe(201);
    expect((await engine.request('POST', `/drops/${created.body.dropId}/open`)).status).toBe(200);
    return created.body.dropId;
  }

  async function eventsOf(dropId: string): Promise<Array<{ type: string; actor: string; data: Record<string, any> }>> {
    const all: Array<{ type: string; actor: string; data: Record<string, any> }> = [];
    let next: string | undefined;
    do {
      const page = await engine.request('GET', `/drops/${dropId}/history?limit=1000${next ? `&after=${next}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.events);
      next = page.body.next;
    } while (next);
    return all;
  }

  it(`finds 0 foreign cancels while ${BUYERS} buyers keep batches in flight and ${ATTACKERS} customers cancel their predictable ids`, async () => {
    const dropId = await openDrop();
    const victimIds: string[] = [];
    for (let b = 0; b < BUYERS; b++)
      for (let k = 0; k < ORDERS_PER_BUYER; k++) victimIds.push(preOrderIdFor(dropId, `buyer-${b}`, `order-${k}`));
    let placing = true;
    const attackAnswers: number[] = [];
    // Attackers guess every id (README-style keys) and cancel in a loop while the placements are in flight.
    const attackers = Array.from({ length: ATTACKERS }, async (_, a) => {
      while (placing) {
        const targets = victimIds.filter((_, i) => i % ATTACKERS === a);
        const answers = await Promise.all(
          targets.map((id) => engine.request('POST', `/pre-orders/${id}/cancel`, undefined, {}, asCustomer(`attacker-${a}`))),
        );
        attackAnswers.push(...answers.map((r) => r.status));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
    const buyers = Array.from({ length: BUYERS }, async (_, b) => {
      for (let k = 0; k < ORDERS_PER_BUYER; k++) {
        const placed = await engine.request(
          'POST',
          `/drops/${dropId}/pre-orders`,
          order,
          { 'idempotency-key': `order-${k}` },
          asCustomer(`buyer-${b}`),
        );
        expect(placed.status).toBe(201);
      }
    });
    await Promise.all(buyers);
    placing = false;
    await Promise.all(attackers);

    // Every attack was answered as a missing pre-order; none cancelled anything.
    expect(attackAnswers.length).toBeGreaterThan(victimIds.length);
    expect(attackAnswers.filter((s) => s !== 404)).toEqual([]);
    const events = await eventsOf(dropId);
    expect(events.filter((e) => e.type === 'PreOrderPlaced')).toHaveLength(BUYERS * ORDERS_PER_BUYER);
    const foreign = events.filter((e) => e.type === 'PreOrderCancelled' && e.actor !== e.data.customerId);
    expect(foreign).toEqual([]);
    expect(events.filter((e) => e.type === 'PreOrderCancelled')).toEqual([]);

    // Owners still cancel their own, concurrently with more attacks; ops may cancel any.
    const own = await Promise.all(
      Array.from({ length: BUYERS }, (_, b) => [
        engine.request(
          'POST',
          `/pre-orders/${preOrderIdFor(dropId, `buyer-${b}`, 'order-0')}/cancel`,
          undefined,
          {},
          asCustomer(`buyer-${b}`),
        ),
        engine.request(
          'POST',
          `/pre-orders/${preOrderIdFor(dropId, `buyer-${b}`, 'order-1')}/cancel`,
          undefined,
          {},
          asCustomer(`attacker-${b % ATTACKERS}`),
        ),
      ]).flat(),
    );
    expect(own.map((r) => r.status)).toEqual(Array.from({ length: BUYERS }, () => [200, 404]).flat());
    const byOps = await engine.request(
      'POST',
      `/pre-orders/${preOrderIdFor(dropId, 'buyer-0', 'order-2')}/cancel`,
      undefined,
      {},
      { role: 'ops' },
    );
    expect(byOps.status).toBe(200);
    const after = await eventsOf(dropId);
    const cancels = after.filter((e) => e.type === 'PreOrderCancelled');
    expect(cancels).toHaveLength(BUYERS + 1);
    expect(cancels.filter((e) => e.actor !== e.data.customerId && e.actor !== 'ops-test')).toEqual([]);
  });

  it("answers another customer's pre-order exactly like a missing one, on cancel and on returns", async () => {
    const dropId = await openDrop();
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      order,
      { 'idempotency-key': 'order-1' },
      asCustomer('alice'),
    );
    expect(placed.status).toBe(201);
    const id = placed.body.preOrderId as string;
    const missingId = `${dropId}.po.0000000000000000000000`;
    for (const path of ['cancel', 'returns']) {
      const body = path === 'returns' ? { reason: 'too-small' } : undefined;
      const foreign = await engine.request('POST', `/pre-orders/${id}/${path}`, body, {}, asCustomer('mallory'));
      const missing = await engine.request('POST', `/pre-orders/${missingId}/${path}`, body, {}, asCustomer('mallory'));
      expect(foreign.status).toBe(404);
      expect(foreign.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(foreign.body).replaceAll(id, 'ID')).toBe(JSON.stringify(missing.body).replaceAll(missingId, 'ID'));
    }
  });

  it('finds 0 foreign returns while customers return their own delivered pre-orders concurrently', async () => {
    const dropId = await openDrop();
    const ids: string[] = [];
    for (let b = 0; b < 40; b++) {
      const placed = await engine.request(
        'POST',
        `/drops/${dropId}/pre-orders`,
        order,
        { 'idempotency-key': 'r' },
        asCustomer(`returner-${b}`),
      );
      ids.push(placed.body.preOrderId);
    }
    const closed = await engine.request('POST', `/drops/${dropId}/close`);
    expect(closed.body.status).toBe('tipped');
    const runId = closed.body.productionRuns[0].runId;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    expect(
      (await engine.request('POST', `/production-runs/${runId}/complete`, { producedBySku: { 'HH-M-NAVY': 40 }, rejectedBySku: {} }))
        .status,
    ).toBe(200);
    for (const id of ids) {
      expect(
        (await engine.request('POST', `/pre-orders/${id}/dispatch`, { carrier: 'royal-mail', trackingNumber: `T-${ids.indexOf(id)}` }))
          .status,
      ).toBe(200);
      expect((await engine.request('POST', `/pre-orders/${id}/delivered`)).status).toBe(200);
    }
    const answers = await Promise.all(
      ids.flatMap((id, b) => [
        engine.request('POST', `/pre-orders/${ids[(b + 1) % ids.length]}/returns`, { reason: 'defect' }, {}, asCustomer(`returner-${b}`)),
        engine.request('POST', `/pre-orders/${id}/returns`, { reason: 'too-small' }, {}, asCustomer(`returner-${b}`)),
      ]),
    );
    expect(answers.map((r) => r.status)).toEqual(ids.flatMap(() => [404, 201]));
    const events = await eventsOf(dropId);
    const owners = new Map(events.filter((e) => e.type === 'PreOrderPlaced').map((e) => [e.data.preOrderId, e.data.customerId]));
    const returns = events.filter((e) => e.type === 'ReturnRequested');
    expect(returns).toHaveLength(40);
    expect(returns.filter((e) => owners.get(e.data.preOrderId) !== e.actor)).toEqual([]);
  });
}

describe('pre-order ownership is decided by the decider (PGlite)', () => ownershipSuite('pglite'));
describeWithPostgres('pre-order ownership is decided by the decider (PostgreSQL)', () => ownershipSuite('postgres'));
