import { eventually } from './support/eventually';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

// Embedded mode (no KAFKA_BROKERS): fulfillment and analytics run inside the engine on the
// in-process transport, and fulfillment reports back through the command path.
describe('fan-out inside one engine (no Kafka)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('turns a completed production run into fulfillment tasks, reports dispatch back into the history, and computes conversion from visits', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 2 }));
    expect(created.status).toBe(201);
    const dropId: string = created.body.dropId;
    engine.clock.set('2026-12-01T10:00:00Z');
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);

    const visits = await engine.request('POST', `/drops/${dropId}/visits`, {
      visits: [
        { visitorId: 'c-1', channel: 'web', at: '2026-12-01T10:01:00Z' },
        { visitorId: 'c-2', channel: 'web', at: '2026-12-01T10:02:00Z' },
        { visitorId: 'c-3', channel: 'web', at: '2026-12-01T10:03:00Z' },
        { visitorId: 'c-4', channel: 'popup', at: '2026-12-01T10:04:00Z' },
      ],
    });
    expect(visits).toMatchObject({ status: 202, body: { accepted: 4 } });
    expect(
      (await engine.request('POST', `/drops/${dropId}/visits`, { visits: [{ visitorId: 'c-1', channel: 'fax', at: 'yesterday' }] })).status,
    ).toBe(400);

    engine.clock.set('2026-12-01T10:11:00Z');
    const ship = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'Idempotency-Key': 'k-1' },
    );
    const pickup = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      {
        customerId: 'c-2',
        sku: 'HH-M-NAVY',
        quantity: 2,
        channel: 'web',
        fulfillment: { method: 'pickup', locationId: 'popup-harbourside' },
      },
      { 'Idempotency-Key': 'k-2' },
    );
    expect([ship.status, pickup.status]).toEqual([201, 201]);

    expect((await engine.request('POST', `/drops/${dropId}/close`)).status).toBe(200);
    const runId = `${dropId}.run.1`;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    engine.clock.set('2026-12-10T10:00:00Z');
    const completed = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 3 },
      rejectedBySku: { 'HH-M-NAVY': 0 },
    });
    expect(completed.status).toBe(200);

    const tasks = await eventually(
      async () => (await engine.request('GET', `/fulfillment/tasks?dropId=${dropId}`)).body,
      (body) => Array.isArray(body) && body.length === 2,
    );
    expect(tasks.map((t: any) => [t.preOrderId, t.kind, t.locationId, t.status, t.dispatchDueAt]).sort()).toEqual(
      [
        [ship.body.preOrderId, 'ship', null, 'open', '2026-12-13T10:00:00.000Z'],
        [pickup.body.preOrderId, 'pickup', 'popup-harbourside', 'open', '2026-12-13T10:00:00.000Z'],
      ].sort(),
    );
    expect((await engine.request('GET', '/fulfillment/tasks/late')).body).toEqual([]);
    engine.clock.set('2026-12-14T10:00:00Z');
    expect((await engine.request('GET', '/fulfillment/tasks/late')).body.map((t: any) => t.preOrderId).sort()).toEqual(
      [ship.body.preOrderId, pickup.body.preOrderId].sort(),
    );

    // Pressed by an ops user: the engine's command keeps that user as actor, and the request's correlation.
    const dispatched = await engine.request(
      'POST',
      `/fulfillment/tasks/${ship.body.preOrderId}/dispatch`,
      { carrier: 'royal-mail', trackingNumber: 'RM1' },
      { 'x-correlation-id': 'ops-dispatch-1' },
      { role: 'ops', sub: 'ops-jane' },
    );
    expect(dispatched.status).toBe(202);
    expect((await engine.request('POST', `/fulfillment/tasks/${ship.body.preOrderId}/ready`)).status).toBe(409);
    await eventually(
      async () => (await engine.request('GET', `/fulfillment/tasks/late`)).body.map((t: any) => t.preOrderId),
      (late) => late.length === 1 && late[0] === pickup.body.preOrderId,
    );
    const history = await engine.request('GET', `/drops/${dropId}/history`);
    const shipped = history.body.events.filter((e: any) => e.type === 'ShipmentDispatched');
    expect(shipped).toHaveLength(1);
    expect(shipped[0]).toMatchObject({ actor: 'ops-jane', correlationId: 'ops-dispatch-1', causationId: expect.any(String) });
    expect(shipped[0].actor).not.toBe('system:fulfillment');

    const analytics = await eventually(
      async () => (await engine.request('GET', `/analytics/drops/${dropId}`)).body,
      (body) => body?.channels?.find((c: any) => c.channel === 'web')?.preOrders === 2,
    );
    expect(analytics.channels.find((c: any) => c.channel === 'web')).toMatchObject({
      visits: 3,
      preOrders: 2,
      conversion: 0.6667,
      units: 3,
      averageSecondsFromFirstVisit: 570,
    });
    expect(analytics.channels.find((c: any) => c.channel === 'popup')).toMatchObject({ visits: 1, preOrders: 0, conversion: 0 });
    expect((await engine.request('GET', '/messaging/status')).body).toMatchObject({
      mode: 'in-process',
      consumers: ['fulfillment', 'analytics'],
    });
  });
});
