import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/** A drop's life over real HTTP, from schedule to returns, on the embedded store. */
describe('drop lifecycle over HTTP (PGlite)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const place = (dropId: string, key: string, body: Record<string, unknown>) =>
    engine.request('POST', `/drops/${dropId}/pre-orders`, body, { 'idempotency-key': key });
  const order = (customerId: string, quantity = 1, extra: Record<string, unknown> = {}) => ({
    customerId,
    sku: 'HH-M-NAVY',
    quantity,
    channel: 'web',
    fulfillment: { method: 'ship' },
    ...extra,
  });

  async function scheduleOpenDrop(overrides: Record<string, unknown> = {}): Promise<string> {
    const created = await engine.request('POST', '/drops', harbourHoodie(overrides));
    expect(created.status).toBe(201);
    const opened = await engine.request('POST', `/drops/${created.body.dropId}/open`);
    expect(opened.status).toBe(200);
    return created.body.dropId;
  }

  it('accepts the brief body as is and shows the drop', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie());
    expect(created.status).toBe(201);
    expect(created.body.dropId).toMatch(/^[A-Za-z0-9_-]+$/);
    const drop = await engine.request('GET', `/drops/${created.body.dropId}`);
    expect(drop.status).toBe(200);
    expect(drop.body).toMatchObject({ dropId: created.body.dropId, status: 'scheduled', revision: 0 });
    expect(drop.body.definition).toEqual(harbourHoodie());
  });

  it('answers a scheduled drop retried with the same Idempotency-Key with the same drop', async () => {
    const a = await engine.request('POST', '/drops', harbourHoodie(), { 'idempotency-key': 'drop-key-1' });
    const b = await engine.request('POST', '/drops', harbourHoodie(), { 'idempotency-key': 'drop-key-1' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.dropId).toBe(a.body.dropId);
    const history = await engine.request('GET', `/drops/${a.body.dropId}/history`);
    expect(history.body.events.map((e: any) => e.type)).toEqual(['DropScheduled']);
  });

  it('prices along the tier ladder, applies basket and pickup discounts, and answers retries with the original 201', async () => {
    const dropId = await scheduleOpenDrop({ perCustomerLimit: 10 });
    const first = await place(dropId, 'k1', order('c-1', 3, { fulfillment: { method: 'pickup', locationId: 'popup-harbourside' } }));
    expect(first.status).toBe(201);
    // 3 × 2500 × 0.9 (basket) × 0.9 (pickup) = 6075
    expect(first.body).toEqual({
      preOrderId: expect.stringContaining(`${dropId}.po.`),
      sku: 'HH-M-NAVY',
      quantity: 3,
      unitPrice: 2500,
      total: 6075,
      currency: 'GBP',
    });
    const retry = await place(dropId, 'k1', order('c-1', 3, { fulfillment: { method: 'pickup', locationId: 'popup-harbourside' } }));
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const reused = await place(dropId, 'k1', order('c-1', 2));
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    // Units 4..10 are still tier 1; the order placed when 9 are sold is priced wholly at tier 1.
    for (let i = 0; i < 6; i++) expect((await place(dropId, `k-fill-${i}`, order(`c-fill-${i}`))).body.unitPrice).toBe(2500);
    const atNine = await place(dropId, 'k-9', order('c-9', 2));
    expect(atNine.body).toMatchObject({ unitPrice: 2500, total: 5000 });
    const atEleven = await place(dropId, 'k-11', order('c-11', 1));
    expect(atEleven.body).toMatchObject({ unitPrice: 3000, total: 3000 });
    const drop = await engine.request('GET', `/drops/${dropId}`);
    expect(drop.body.unitsSold).toBe(12);
  });

  it('rejects with stable codes: sold out, insufficient stock, customer limit, unknown SKU and channel, closed window', async () => {
    const dropId = await scheduleOpenDrop({
      variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 5 }],
      minimumOrderQuantity: 1,
      perCustomerLimit: 4,
    });
    expect((await place(dropId, 'a', order('c-a', 4))).status).toBe(201);
    const limit = await place(dropId, 'a2', order('c-a', 1));
    expect(limit.status).toBe(409);
    expect(limit.body.code).toBe('PREORDER.LIMIT_EXCEEDED');
    const insufficient = await place(dropId, 'b', order('c-b', 2));
    expect(insufficient.status).toBe(409);
    expect(insufficient.body).toMatchObject({ code: 'DROP.INSUFFICIENT_STOCK', available: 1 });
    expect((await place(dropId, 'c', order('c-c', 1))).status).toBe(201);
    const soldOut = await place(dropId, 'd', order('c-d', 1));
    expect(soldOut.status).toBe(409);
    expect(soldOut.body.code).toBe('DROP.SOLD_OUT');
    expect(soldOut.headers.get('content-type')).toContain('application/problem+json');
    expect((await place(dropId, 'e', order('c-e', 1, { sku: 'NOPE' }))).body.code).toBe('DROP.UNKNOWN_SKU');
    expect((await place(dropId, 'f', order('c-f', 1, { channel: 'kiosk' }))).body.code).toBe('DROP.CHANNEL_NOT_ALLOWED');
    // Closing keeps answering SOLD_OUT for a sold-out SKU.
    expect((await engine.request('POST', `/drops/${dropId}/close`)).status).toBe(200);
    expect((await place(dropId, 'g', order('c-g', 1))).body.code).toBe('DROP.SOLD_OUT');
  });

  it('rejects bad input with RFC 7807 naming the field, and stores nothing', async () => {
    const dropId = await scheduleOpenDrop();
    const before = await engine.request('GET', `/drops/${dropId}/history?limit=1000`);
    const cases: Array<[Record<string, unknown>, Record<string, string>, string, string]> = [
      [order('c-1', 0), { 'idempotency-key': 'x1' }, 'VALIDATION.FAILED', 'quantity'],
      [order('c-1', 1, { channel: 'fax' }), { 'idempotency-key': 'x2' }, 'VALIDATION.FAILED', 'channel'],
      [order('c-1', 1, { extra: true }), { 'idempotency-key': 'x3' }, 'VALIDATION.FAILED', 'extra'],
      [order('c-1', 1, { fulfillment: { method: 'pickup' } }), { 'idempotency-key': 'x4' }, 'VALIDATION.FAILED', 'fulfillment.locationId'],
      [order('c-1', 1), {}, 'IDEMPOTENCY.KEY_REQUIRED', 'Idempotency-Key'],
      [order('c-1', 1), { 'idempotency-key': 'bad key with spaces' }, 'VALIDATION.FAILED', 'Idempotency-Key'],
    ];
    for (const [body, headers, code, field] of cases) {
      const res = await engine.request('POST', `/drops/${dropId}/pre-orders`, body, headers);
      expect({ status: res.status, code: res.body.code, field: res.body.field }).toEqual({ status: 400, code, field });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const badJson = await engine.request('POST', `/drops/${dropId}/pre-orders`, '{"customerId":', { 'idempotency-key': 'x9' });
    expect(badJson.status).toBe(400);
    const badDrop = await engine.request('POST', '/drops', harbourHoodie({ currency: 'pounds' }));
    expect(badDrop).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED', field: 'currency' } });
    const badNested = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({ variants: [{ sku: 'X', size: 'M', colour: 'n', editionCap: -1 }] }),
    );
    expect(badNested).toMatchObject({ status: 400, body: { field: 'variants[0].editionCap' } });
    const inconsistent = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({ window: { opensAt: '2026-12-08T10:00:00Z', closesAt: '2026-12-01T10:00:00Z' } }),
    );
    expect(inconsistent).toMatchObject({ status: 422, body: { code: 'DROP.INVALID_DEFINITION' } });
    const unknownDrop = await engine.request('GET', '/drops/does-not-exist');
    expect(unknownDrop).toMatchObject({ status: 404, body: { code: 'DROP.NOT_FOUND' } });
    const after = await engine.request('GET', `/drops/${dropId}/history?limit=1000`);
    expect(after.body.events).toHaveLength(before.body.events.length);
  });

  it('cancels a pre-order and frees its units for the next buyer', async () => {
    const dropId = await scheduleOpenDrop({
      variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 1 }],
      minimumOrderQuantity: 1,
    });
    const first = await place(dropId, 'k', order('c-1'));
    expect((await place(dropId, 'k2', order('c-2'))).body.code).toBe('DROP.SOLD_OUT');
    const cancelled = await engine.request('POST', `/pre-orders/${first.body.preOrderId}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    expect((await place(dropId, 'k3', order('c-3'))).status).toBe(201);
  });

  it('runs a drop through tipping point, production shortfall, fulfillment and a return, and keeps the full audit history', async () => {
    const dropId = await scheduleOpenDrop({ minimumOrderQuantity: 2, perCustomerLimit: 4 });
    const a = await place(dropId, 'a', order('c-a', 2));
    const b = await place(
      dropId,
      'b',
      order('c-b', 1, { channel: 'popup', fulfillment: { method: 'pickup', locationId: 'popup-harbourside' } }),
    );
    const closed = await engine.request('POST', `/drops/${dropId}/close`);
    expect(closed.body.status).toBe('tipped');
    const runId = closed.body.productionRuns[0].runId;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    // Two good units: the first order (2 units) is covered, the second is not.
    const completed = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 3 },
      rejectedBySku: { 'HH-M-NAVY': 1 },
    });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ producedBySku: { 'HH-M-NAVY': 3 }, rejectedBySku: { 'HH-M-NAVY': 1 } });
    // A retry is answered as the first; other counts for the completed run are a conflict.
    const retried = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 3 },
      rejectedBySku: { 'HH-M-NAVY': 1 },
    });
    expect(retried.status).toBe(200);
    const contradicted = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 4 },
      rejectedBySku: { 'HH-M-NAVY': 1 },
    });
    expect([contradicted.status, contradicted.body.code]).toEqual([409, 'PRODUCTION.RUN_ALREADY_COMPLETED']);
    const uncovered = await engine.request('POST', `/pre-orders/${b.body.preOrderId}/ready-for-pickup`);
    expect(uncovered.status).toBe(409);
    expect(
      (await engine.request('POST', `/pre-orders/${a.body.preOrderId}/dispatch`, { carrier: 'royal-mail', trackingNumber: 'RM1' })).status,
    ).toBe(200);
    engine.clock.advance(24 * 3600 * 1000);
    expect((await engine.request('POST', `/pre-orders/${a.body.preOrderId}/delivered`)).body.handOver).toBe('delivered');
    const ret = await engine.request('POST', `/pre-orders/${a.body.preOrderId}/returns`, { reason: 'too-small' });
    expect(ret).toMatchObject({ status: 201, body: { status: 'requested', reason: 'too-small' } });
    expect((await engine.request('POST', `/returns/${ret.body.returnId}/receive`, { condition: 'restockable' })).body.status).toBe(
      'received',
    );
    // The return refunds `a`: a refund request beside it would pay the customer twice.
    const twice = await engine.request('POST', `/pre-orders/${a.body.preOrderId}/refund-requests`, { reason: 'goodwill' });
    expect(twice).toMatchObject({ status: 409, body: { code: 'REFUND.RETURN_EXISTS', returnId: ret.body.returnId } });
    expect((await engine.request('POST', `/pre-orders/${b.body.preOrderId}/refund-requests`, { reason: 'not covered' })).status).toBe(200);
    const payment = await engine.request('POST', `/pre-orders/${b.body.preOrderId}/payments`, {
      status: 'refunded',
      amount: b.body.total,
      providerRef: 're_1',
    });
    expect(payment.status).toBe(200);
    expect(payment.body.payment.refunded).toBe(b.body.total);

    const history = await engine.request('GET', `/drops/${dropId}/history?limit=3`);
    expect(history.body.events).toHaveLength(3);
    const all = [...history.body.events];
    let next = history.body.next;
    while (next) {
      const page = await engine.request('GET', `/drops/${dropId}/history?limit=3&after=${next}`);
      all.push(...page.body.events);
      next = page.body.next;
    }
    const types = all.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['DropScheduled', 'PreOrderWindowOpened']);
    expect(types).toEqual(
      expect.arrayContaining([
        'PreOrderPlaced',
        'PreOrderWindowClosed',
        'TippingPointReached',
        'ProductionRunRequested',
        'ProductionRunStarted',
        'ProductionRunCompleted',
        'ShipmentDispatched',
        'ShipmentDelivered',
        'ReturnRequested',
        'ReturnReceived',
        'RefundRequested',
        'PaymentRefunded',
      ]),
    );
    expect(all.map((e) => e.revision)).toEqual(all.map((_, i) => i));
    // The run covered one of the two pre-orders; the event counts them and names neither.
    expect(all.find((e) => e.type === 'ProductionRunCompleted').data).toMatchObject({ coveredPreOrderCount: 1, uncoveredPreOrderCount: 1 });
    expect(all[0].actor).toBe('ops-test');
    for (const e of all) {
      expect(e).toEqual(
        expect.objectContaining({
          eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          // As stored: the version the code writes today (ProductionRunCompleted is at 2).
          schemaVersion: EVENT_SCHEMA_VERSIONS[e.type as keyof typeof EVENT_SCHEMA_VERSIONS],
          correlationId: expect.any(String),
          causationId: expect.any(String),
          // Since access control: the token's subject (test tokens: support/test-auth.ts), or the scheduler.
          actor: expect.stringMatching(/^(ops-test|service-test|customer-test|till-test|c-[A-Za-z0-9-]+|system:[a-z-]+)$/),
          occurredAt: expect.any(String),
          recordedAt: expect.any(String),
          traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/),
        }),
      );
    }
  });

  it('shows the drop as recorded at a revision and at a time', async () => {
    const dropId = await scheduleOpenDrop();
    await place(dropId, 'r1', order('c-r1', 2));
    const atOpen = await engine.request('GET', `/drops/${dropId}?revision=1`);
    expect(atOpen.body).toMatchObject({ status: 'open', unitsSold: 0, revision: 1 });
    const now = await engine.request('GET', `/drops/${dropId}`);
    expect(now.body.unitsSold).toBe(2);
    const past = await engine.request('GET', `/drops/${dropId}?asOf=2000-01-01T00:00:00Z`);
    expect(past).toMatchObject({ status: 404, body: { code: 'DROP.NOT_FOUND', detail: expect.stringContaining('(at that point)') } });
    // Without asOf or revision, the drop simply does not exist: no "at that point".
    const missing = await engine.request('GET', `/drops/00000000-0000-4000-8000-000000000000`, undefined, {}, { role: 'ops' });
    expect(missing).toMatchObject({ status: 404, body: { code: 'DROP.NOT_FOUND' } });
    expect(missing.body.detail).not.toContain('at that point');
  });

  it('keeps the caller’s correlation id and traceparent in the envelope', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie(), {
      'x-correlation-id': 'corr-42',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const history = await engine.request('GET', `/drops/${created.body.dropId}/history`);
    expect(history.body.events[0]).toMatchObject({
      correlationId: 'corr-42',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });
});
