import { eventually } from './support/eventually';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Dead letters over HTTP (embedded engine, in-process consumers): a production run the
 * fulfillment consumer refuses (a pre-order of it stored without its acceptance order, as an
 * earlier release stored them) is listed for ops and analysts, refused again by a redrive while
 * the cause is there, and applied by one after the operator backfilled it: the run's tasks appear.
 */
describe('GET /messaging/dead-letters/:consumer and its redrive', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('lists a refused run, refuses it again while the cause is there, applies it once after the fix', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 2 }));
    expect(created.status).toBe(201);
    const dropId: string = created.body.dropId;
    engine.clock.set('2026-12-01T10:00:00Z');
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const order = (customerId: string) => ({ customerId, sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } });
    const placed: string[] = [];
    for (const c of ['c-1', 'c-2']) {
      const res = await engine.request('POST', `/drops/${dropId}/pre-orders`, order(c), { 'Idempotency-Key': `dl-${c}` });
      expect(res.status).toBe(201);
      placed.push(res.body.preOrderId as string);
    }
    expect((await engine.request('POST', `/drops/${dropId}/close`)).status).toBe(200);
    const db = engine.databases.readModels;
    const sequences = await eventually(
      async () => (await db.query(`select pre_order_id, sequence from fulfillment.pre_orders where drop_id = $1`, [dropId])).rows,
      (rows) => rows.length === 2,
    );
    const second = sequences.find((r) => r.pre_order_id === placed[1])!;
    // What an earlier release stored: no acceptance order.
    await db.query(`update fulfillment.pre_orders set sequence = null where pre_order_id = $1`, [placed[1]]);

    const runId = `${dropId}.run.1`;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    engine.clock.set('2026-12-10T10:00:00Z');
    const completed = await engine.request('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 2 },
      rejectedBySku: { 'HH-M-NAVY': 0 },
    });
    expect(completed.status).toBe(200);

    const listed = await eventually(
      async () => await engine.request('GET', '/messaging/dead-letters/fulfillment?pending=true', undefined, {}, { role: 'analyst' }),
      (res) => res.status === 200 && res.body.deadLetters.length === 1,
    );
    const [letter] = listed.body.deadLetters;
    const waitingGauge = async () =>
      (await engine.request('GET', '/metrics', undefined, {}, { role: 'metrics' })).body.match(
        /^dropline_dead_letters_waiting\{consumer="fulfillment"\} (\d+)$/m,
      )?.[1];
    expect(await waitingGauge()).toBe('1');
    expect(letter).toMatchObject({
      reason: 'rejected:FULFILLMENT.UNKNOWN_ACCEPTANCE_ORDER',
      ceType: 'dropline.productionrun.completed.v2',
      key: dropId,
      encoding: 'utf8',
      redrivenAt: null,
      redriveOutcome: null,
    });
    expect(JSON.parse(letter.value)).toMatchObject({ runId });
    expect(listed.body).toMatchObject({ consumer: 'fulfillment', next: null });
    const history = await engine.request('GET', `/drops/${dropId}/history?type=ProductionRunCompleted`);
    expect(letter.ceId).toBe(history.body.events[0].eventId);
    expect((await engine.request('GET', '/fulfillment/tasks?dropId=' + dropId)).body).toEqual([]);

    // Only ops redrive.
    const asAnalyst = await engine.request(
      'POST',
      '/messaging/dead-letters/fulfillment/redrive',
      { ids: [letter.id] },
      {},
      { role: 'analyst' },
    );
    expect(asAnalyst.status).toBe(403);
    const refused = await engine.request('POST', '/messaging/dead-letters/fulfillment/redrive', { ids: [letter.id] }, {}, { role: 'ops' });
    expect(refused.body).toEqual({ consumer: 'fulfillment', results: [{ id: letter.id, outcome: 'dead-lettered' }] });
    const waiting = (await engine.request('GET', '/messaging/dead-letters/fulfillment?pending=true', undefined, {}, { role: 'ops' })).body
      .deadLetters;
    expect(waiting).toHaveLength(1);
    expect(waiting[0].id).not.toBe(letter.id);

    await db.query(`update fulfillment.pre_orders set sequence = $2 where pre_order_id = $1`, [placed[1], second.sequence]);
    const redriven = await engine.request('POST', '/messaging/dead-letters/fulfillment/redrive', { ids: [waiting[0].id, letter.id] });
    expect(redriven.status).toBe(200);
    expect(redriven.body.results).toEqual([
      { id: letter.id, outcome: 'already-redriven', previousOutcome: 'dead-lettered' },
      { id: waiting[0].id, outcome: 'applied' },
    ]);
    const tasks = (await engine.request('GET', '/fulfillment/tasks?dropId=' + dropId)).body;
    expect(tasks.map((t: any) => t.preOrderId).sort()).toEqual([...placed].sort());
    // A page at a time: each answer names the next in its Link header, the last names none.
    const paged: string[] = [];
    for (let url: string | undefined = `/fulfillment/tasks?dropId=${dropId}&limit=1`; url !== undefined;) {
      const page = await engine.request('GET', url);
      expect(page.body).toHaveLength(1);
      paged.push(page.body[0].preOrderId);
      url = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
    }
    expect(paged).toEqual(tasks.map((t: any) => t.preOrderId));
    const all = (await engine.request('GET', '/messaging/dead-letters/fulfillment?reason=rejected', undefined, {}, { role: 'ops' })).body;
    expect(all.deadLetters.map((d: any) => d.redriveOutcome)).toEqual(['dead-lettered', 'applied']);
    expect((await engine.request('GET', '/messaging/dead-letters/fulfillment?pending=true')).body.deadLetters).toEqual([]);
    expect(await waitingGauge()).toBe('0');
  });

  it('answers 404 for a consumer that does not run here and 400 naming the field for bad input', async () => {
    const missing = await engine.request('GET', '/messaging/dead-letters/shipping');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'MESSAGING.CONSUMER_NOT_FOUND', field: 'consumer' });
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/messaging/dead-letters/fulfillment?limit=1000', undefined, 'limit'],
      ['GET', '/messaging/dead-letters/fulfillment?after=-1', undefined, 'after'],
      ['GET', '/messaging/dead-letters/fulfillment?pending=yes', undefined, 'pending'],
      ['GET', '/messaging/dead-letters/fulfillment?reason=rejected:%00', undefined, 'reason'],
      ['GET', '/messaging/dead-letters/Fulfillment!', undefined, 'consumer'],
      ['POST', '/messaging/dead-letters/fulfillment/redrive', { ids: [] }, 'ids'],
      ['POST', '/messaging/dead-letters/fulfillment/redrive', { ids: [1] }, 'ids[0]'],
      ['POST', '/messaging/dead-letters/fulfillment/redrive', { ids: ['0'] }, 'ids[0]'],
      ['POST', '/messaging/dead-letters/fulfillment/redrive', { ids: Array.from({ length: 101 }, (_, i) => String(i + 1)) }, 'ids'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await engine.request(method, path, body);
      expect([path, res.status, res.body.field]).toEqual([path, 400, field]);
    }
    const unknown = await engine.request('POST', '/messaging/dead-letters/analytics/redrive', { ids: ['424242'] });
    expect(unknown.body).toEqual({ consumer: 'analytics', results: [{ id: '424242', outcome: 'not-found' }] });
    const dismissed = await engine.request('POST', '/messaging/dead-letters/analytics/dismiss', { ids: ['424242'] });
    expect(dismissed.body).toEqual({ consumer: 'analytics', results: [{ id: '424242', outcome: 'not-found' }] });
    expect((await engine.request('POST', '/messaging/dead-letters/analytics/dismiss', { ids: ['x'] })).body.field).toBe('ids[0]');
    const asAnalyst = await engine.request('POST', '/messaging/dead-letters/analytics/dismiss', { ids: ['1'] }, {}, { role: 'analyst' });
    expect(asAnalyst.status).toBe(403);
  });
});
