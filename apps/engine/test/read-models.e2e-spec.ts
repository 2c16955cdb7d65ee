import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/** Polls `path` until `done(body)` holds (the projector runs in the background). */
async function eventually(engine: TestEngine, path: string, done: (body: any) => boolean): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await engine.request('GET', path);
    if (res.status === 200 && done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`${path} never matched: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('read-model routes (embedded engine)', () => {
  let engine: TestEngine;
  let dropId: string;

  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-12-02T12:00:00Z' });
    const created = await engine.request('POST', '/drops', harbourHoodie({ earlyAccess: undefined }));
    expect(created.status).toBe(201);
    dropId = created.body.dropId;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBeLessThan(300);
    for (const [i, quantity] of [1, 3, 2].entries()) {
      const res = await engine.request(
        'POST',
        `/drops/${dropId}/pre-orders`,
        { customerId: `c-${i % 2}`, sku: 'HH-M-NAVY', quantity, channel: 'web', fulfillment: { method: 'ship' } },
        { 'Idempotency-Key': `k-${i}` },
      );
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => engine?.close());

  it('serves inventory with the checkpoint and lag it was read at', async () => {
    const body = await eventually(engine, `/drops/${dropId}/inventory`, (b) => b.skus?.[0]?.unitsPreOrdered === 6);
    expect(body.skus[0]).toMatchObject({ sku: 'HH-M-NAVY', editionCap: 50, unitsPreOrdered: 6, available: 44, onHand: 0 });
    expect(body.readModel).toMatchObject({ projection: 'drops', checkpoint: expect.any(String), lagSeconds: expect.any(Number) });
  });

  it('serves the summary, the drop list, pre-orders by customer and restock thresholds', async () => {
    const summary = await eventually(engine, `/drops/${dropId}/summary`, (b) => b.unitsSold === 6);
    expect(summary).toMatchObject({
      status: 'open',
      city: 'Bristol',
      tierInForce: { index: 0, unitPrice: 2500 },
      moq: { minimumOrderQuantity: 20, netUnits: 6, reached: false },
      // The public window is the drop's only phase (no earlyAccess): open, nobody granted, not sold out.
      access: {
        openPhase: 'public',
        members: 0,
        phases: [{ name: 'public', audience: 'everyone', opensAt: '2026-12-01T10:00:00Z', status: 'open' }],
      },
      onSellOut: 'stay-open',
      soldOut: false,
    });
    expect(summary.revenue.byChannel.web).toBe(summary.revenue.total);
    const list = await engine.request('GET', '/drops?status=open&city=Bristol');
    expect(list.body.drops.map((d: { dropId: string }) => d.dropId)).toContain(dropId);
    expect(list.body.drops.find((d: { dropId: string }) => d.dropId === dropId)).toMatchObject({
      access: { openPhase: 'public' },
      onSellOut: 'stay-open',
      soldOut: false,
    });
    expect((await engine.request('GET', '/drops?status=closed')).body.drops.map((d: { dropId: string }) => d.dropId)).not.toContain(dropId);
    const customer = await engine.request('GET', '/customers/c-0/pre-orders');
    expect(customer.body.preOrders.map((p: { quantity: number; status: string }) => [p.quantity, p.status])).toEqual([
      [1, 'active'],
      [2, 'active'],
    ]);
    // Pages: limit and offset, and where the next page starts.
    const first = await engine.request('GET', '/customers/c-0/pre-orders?limit=1');
    expect(first.body.preOrders).toHaveLength(1);
    expect(first.body.next).toEqual({ offset: 1, limit: 1 });
    const second = await engine.request('GET', '/customers/c-0/pre-orders?limit=1&offset=1');
    expect(second.body.preOrders[0].preOrderId).not.toBe(first.body.preOrders[0].preOrderId);
    expect(second.body.next).toBeNull();
    expect((await engine.request('GET', '/drops?limit=501')).body).toMatchObject({ code: 'VALIDATION.FAILED', field: 'limit' });
    const thresholds = await engine.request('GET', `/drops/${dropId}/restock-thresholds`);
    expect(thresholds.body.skus[0]).toMatchObject({ sku: 'HH-M-NAVY', available: 44, inputs: { leadTimeDays: 14, serviceLevel: 0.95 } });
  });

  it('says a stay-open drop is sold out while its window stays open, and not once a cancellation frees units', async () => {
    const small = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        name: 'Harbour Beanie',
        earlyAccess: undefined,
        variants: [{ sku: 'HB-NAVY', size: 'one', colour: 'navy', editionCap: 4 }],
        minimumOrderQuantity: 2,
      }),
    );
    expect(small.status).toBe(201);
    const smallId = small.body.dropId;
    expect((await engine.request('POST', `/drops/${smallId}/open`)).status).toBeLessThan(300);
    const bought = await engine.request(
      'POST',
      `/drops/${smallId}/pre-orders`,
      { customerId: 'c-beanie', sku: 'HB-NAVY', quantity: 4, channel: 'web', fulfillment: { method: 'ship' } },
      { 'Idempotency-Key': 'beanie-1' },
    );
    expect(bought.status).toBe(201);
    const sold = await eventually(engine, `/drops/${smallId}/summary`, (b) => b.netUnits === 4);
    expect(sold).toMatchObject({ status: 'open', soldOut: true, onSellOut: 'stay-open', access: { openPhase: 'public' } });
    expect((await engine.request('POST', `/pre-orders/${bought.body.preOrderId}/cancel`)).status).toBe(200);
    const freed = await eventually(engine, `/drops/${smallId}/summary`, (b) => b.netUnits === 0);
    expect(freed).toMatchObject({ status: 'open', soldOut: false });
  });

  it('answers problems for bad input and unknown drops', async () => {
    const bad = await engine.request('GET', '/drops?status=bogus');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION.FAILED', field: 'status' });
    const missing = await engine.request('GET', '/drops/no-such-drop/inventory');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('DROP.NOT_FOUND');
  });

  it('rebuilds through the admin route without losing rows', async () => {
    const before = (await engine.request('GET', `/drops/${dropId}/inventory`)).body.skus;
    const accepted = await engine.request('POST', '/admin/projections/drops/rebuild');
    expect(accepted.status).toBe(202);
    const done = await eventually(engine, '/admin/projections/drops', (b) => b.rebuild?.status === 'done');
    expect(done.rebuild.eventsDone).toBeGreaterThan(0);
    expect((await engine.request('GET', `/drops/${dropId}/inventory`)).body.skus).toEqual(before);
  });
});
