import { DemandRecorder } from '../src/demand/demand-recorder';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/** Rejected pre-orders over real HTTP end up as DemandTurnedAway in demand-<dropId>. */
describe('turned-away demand over HTTP (PGlite)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-12-02T10:00:00Z' });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('counts sold-out and insufficient-stock rejections per SKU and reason', async () => {
    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({ variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 3 }], minimumOrderQuantity: 2 }),
    );
    expect([created.status, created.body.code]).toEqual([201, undefined]);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const place = (customerId: string, quantity: number) =>
      engine.request(
        'POST',
        `/drops/${dropId}/pre-orders`,
        { customerId, sku: 'HH-M-NAVY', quantity, channel: 'web', fulfillment: { method: 'ship' } },
        { 'idempotency-key': `${customerId}-1` },
      );

    expect((await place('c-1', 2)).status).toBe(201);
    const insufficient = await place('c-2', 2);
    expect(insufficient.body.code).toBe('DROP.INSUFFICIENT_STOCK');
    expect((await place('c-3', 1)).status).toBe(201);
    const soldOut = await place('c-4', 3);
    expect(soldOut.body.code).toBe('DROP.SOLD_OUT');
    expect((await place('c-5', 1)).body.code).toBe('DROP.SOLD_OUT');
    // More than one customer may buy (the limit is checked after stock) counts as the limit, 4.
    expect((await place('c-6', 1000)).body.code).toBe('DROP.SOLD_OUT');

    await engine.app.get(DemandRecorder).flush();
    const events = await engine.databases.store.readStream(`demand-${dropId}`);
    const byReason = Object.fromEntries(
      events.map((e) => [e.data.reason, { units: e.data.units, requests: e.data.requests, sku: e.data.sku }]),
    );
    expect(byReason).toEqual({
      'insufficient-stock': { units: 2, requests: 1, sku: 'HH-M-NAVY' },
      'sold-out': { units: 3 + 1 + 4, requests: 3, sku: 'HH-M-NAVY' },
    });
  }, 120_000);
});
