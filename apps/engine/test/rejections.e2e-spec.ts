import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Ordinary business rejections and inputs the domain would refuse, over real HTTP:
 * each is a 4xx RFC 7807 answer with a stable code (and the field where one is to blame),
 * and appends nothing. Findings 2 and 8 of trust part 1.
 */
describe('rejections answer 4xx problems, never 500 (PGlite)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const order = (customerId: string, quantity = 1) => ({
    customerId,
    sku: 'HH-M-NAVY',
    quantity,
    channel: 'web',
    fulfillment: { method: 'ship' },
  });

  /** Events in the drop's own stream (the history also holds its side streams: a restock reactor's recommendation is no rejection's doing). */
  async function revisionOf(dropId: string): Promise<number> {
    const history = await engine.request('GET', `/drops/${dropId}/history?limit=1000`);
    return history.body.events.filter((e: { streamName: string }) => e.streamName === `drop-${dropId}`).length;
  }

  function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, code: string, field?: string) {
    expect({ status: res.status, code: res.body?.code, ...(field ? { field: res.body?.field } : {}) }).toEqual({
      status,
      code,
      ...(field ? { field } : {}),
    });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: expect.stringContaining('https://dropline.dev/problems/'), title: expect.any(String), status });
  }

  it('answers the rejections that once came back 500 with their own status and code', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1, earlyAccess: undefined }));
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      order('c-1'),
      { 'idempotency-key': 'k1' },
      { role: 'customer', sub: 'c-1' },
    );
    expect(placed.status).toBe(201);

    // Revising an open drop; a production run before the tipping point; completing an open drop.
    expectProblem(
      await engine.request('PUT', `/drops/${dropId}`, harbourHoodie({ minimumOrderQuantity: 1, earlyAccess: undefined, name: 'x' })),
      409,
      'DROP.DEFINITION_LOCKED',
    );
    expectProblem(
      await engine.request('POST', `/drops/${dropId}/production-runs`, { unitsBySku: { 'HH-M-NAVY': 5 } }),
      409,
      'DROP.TIPPING_POINT_NOT_REACHED',
    );
    const completing = await engine.request('POST', `/drops/${dropId}/complete`);
    expect(completing.status).toBe(409);
    expect(completing.body).toMatchObject({ status: 409, dropStatus: 'open' });

    // A customer cancelling after close.
    expect((await engine.request('POST', `/drops/${dropId}/close`)).body.status).toBe('tipped');
    const late = await engine.request(
      'POST',
      `/pre-orders/${placed.body.preOrderId}/cancel`,
      undefined,
      {},
      { role: 'customer', sub: 'c-1' },
    );
    expectProblem(late, 409, 'PREORDER.CANNOT_CANCEL');
    expect(late.body.dropStatus).toBe('tipped');

    // Cancelling a drop in production.
    const runId = `${dropId}.run.1`;
    expect((await engine.request('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    expectProblem(await engine.request('POST', `/drops/${dropId}/cancel`, { reason: 'too late' }), 409, 'DROP.CANNOT_CANCEL');
  });

  it('refuses what the domain would refuse at validation, naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['MOQ 0', { minimumOrderQuantity: 0 }, 'minimumOrderQuantity'],
      ['unit price 0', { priceTiers: [{ unitPrice: 0 }] }, 'priceTiers[0].unitPrice'],
      ['currency ZZZ', { currency: 'ZZZ' }, 'currency'],
      ['a blank name', { name: '   ' }, 'name'],
      [
        'a window that has closed',
        { window: { opensAt: '2026-01-01T10:00:00Z', closesAt: '2026-01-08T10:00:00Z' }, earlyAccess: undefined },
        'window.closesAt',
      ],
    ];
    for (const [name, overrides, field] of cases) {
      const res = await engine.request('POST', '/drops', harbourHoodie(overrides));
      expect({ name, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        name,
        status: 400,
        code: 'VALIDATION.FAILED',
        field,
      });
    }
    const list = await engine.request('GET', '/drops?limit=1000');
    expect(list.body.drops?.some?.((d: { name?: string }) => d.name === '   ') ?? false).toBe(false);
  });

  it('says what is wrong with a missing or mistyped number: its type, not a bound it did not break', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1, earlyAccess: undefined }));
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const { quantity: _left, ...withoutQuantity } = order('c-9');
    const customer = { role: 'customer', sub: 'c-9' } as const;
    const before = await revisionOf(dropId);
    const cases: Array<[string, string, string, unknown, string, string]> = [
      ['no quantity', 'POST', `/drops/${dropId}/pre-orders`, withoutQuantity, 'quantity', 'quantity must be an integer number'],
      [
        'quantity "2"',
        'POST',
        `/drops/${dropId}/pre-orders`,
        { ...order('c-9'), quantity: '2' },
        'quantity',
        'quantity must be an integer number',
      ],
      ['quantity 0', 'POST', `/drops/${dropId}/pre-orders`, order('c-9', 0), 'quantity', 'quantity must not be less than 1'],
      ['limit=abc', 'GET', `/drops/${dropId}/history?limit=abc`, undefined, 'limit', 'limit must be an integer number'],
      ['limit=-1', 'GET', `/drops/${dropId}/history?limit=-1`, undefined, 'limit', 'limit must not be less than 1'],
      ['limit=5000', 'GET', `/drops/${dropId}/history?limit=5000`, undefined, 'limit', 'limit must not be greater than 1000'],
    ];
    for (const [name, method, path, body, field, detail] of cases) {
      const res = await engine.request(method, path, body, undefined, method === 'POST' ? customer : undefined);
      expect({ name, status: res.status, code: res.body.code, field: res.body.field, detail: res.body.detail }).toEqual({
        name,
        status: 400,
        code: 'VALIDATION.FAILED',
        field,
        detail,
      });
    }
    expect(await revisionOf(dropId)).toBe(before);
  });

  it('refuses a NUL or an unpaired surrogate in any string, value or key, and appends nothing', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1, earlyAccess: undefined }));
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const before = await revisionOf(dropId);
    const poisoned: Array<[string, string, string, unknown, string]> = [
      ['name', 'POST', '/drops', harbourHoodie({ name: 'Hoodie\u0000' }), 'name'],
      ['city', 'POST', '/drops', harbourHoodie({ city: 'Bris\ud800tol' }), 'city'],
      [
        'colour',
        'POST',
        '/drops',
        harbourHoodie({ variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'na\udc00vy', editionCap: 50 }] }),
        'variants[0].colour',
      ],
      [
        'microfactoryId',
        'POST',
        '/drops',
        harbourHoodie({ production: { microfactoryId: 'mf\u0000', leadTimeDays: 14 } }),
        'production.microfactoryId',
      ],
      ['drop cancel reason', 'POST', `/drops/${dropId}/cancel`, { reason: 'x\u0000' }, 'reason'],
      ['referral code', 'POST', `/drops/${dropId}/pre-orders`, { ...order('c-2'), referralCode: 'R\ud83d' }, 'referralCode'],
      ['run map key', 'POST', `/drops/${dropId}/production-runs`, { unitsBySku: { 'HH\u0000': 1 } }, 'unitsBySku.HH\u0000'],
    ];
    for (const [name, method, path, body, field] of poisoned) {
      const res = await engine.request(method, path, body, { 'idempotency-key': `poison-${name.replace(/\W/g, '-')}` });
      expect({ name, status: res.status, code: res.body?.code, field: res.body?.field }).toEqual({
        name,
        status: 400,
        code: 'VALIDATION.FAILED',
        field,
      });
    }
    expect(await revisionOf(dropId)).toBe(before);
    // A valid surrogate pair (an emoji) is text like any other.
    expect((await engine.request('POST', '/drops', harbourHoodie({ name: 'Hoodie 🧵' }))).status).toBe(201);
  });

  it('fails no innocent buyer while poisoned requests are sent among theirs', async () => {
    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        minimumOrderQuantity: 1,
        earlyAccess: undefined,
        perCustomerLimit: 1,
        variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 1000 }],
      }),
    );
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const innocent = Array.from({ length: 354 }, (_, i) =>
      engine.request(
        'POST',
        `/drops/${dropId}/pre-orders`,
        order(`buyer-${i}`),
        { 'idempotency-key': `k-${i}` },
        { role: 'customer', sub: `buyer-${i}` },
      ),
    );
    const poisoned = Array.from({ length: 30 }, (_, i) =>
      i % 2
        ? engine.request(
            'POST',
            `/drops/${dropId}/pre-orders`,
            { ...order(`mallory-${i}`), referralCode: 'R\u0000' },
            { 'idempotency-key': `p-${i}` },
            { role: 'customer', sub: `mallory-${i}` },
          )
        : engine.request(
            'POST',
            `/drops/${dropId}/pre-orders`,
            order('mallory'),
            { 'idempotency-key': `p-${i}` },
            { role: 'customer', sub: `mallory\ud800-${i}` },
          ),
    );
    const [good, bad] = await Promise.all([Promise.all(innocent), Promise.all(poisoned)]);
    expect(good.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body?.code}`)).toEqual([]);
    expect(bad.map((r) => r.status).sort()).toEqual([...Array(15).fill(400), ...Array(15).fill(401)]);
    expect(await revisionOf(dropId)).toBe(2 + 354);
  });

  it('checks payment facts against the pre-order: amount up to what is owed, the drop currency', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1, earlyAccess: undefined }));
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      order('c-pay'),
      { 'idempotency-key': 'pay' },
      { role: 'customer', sub: 'c-pay' },
    );
    const id = placed.body.preOrderId as string;
    expect(placed.body.total).toBe(2500);
    const before = await revisionOf(dropId);
    expectProblem(
      await engine.request('POST', `/pre-orders/${id}/payments`, { status: 'captured', amount: 999_999, providerRef: 'pi_big' }),
      422,
      'PAYMENT.AMOUNT_EXCEEDS_ORDER',
      'amount',
    );
    expectProblem(
      await engine.request('POST', `/pre-orders/${id}/payments`, {
        status: 'captured',
        amount: 2500,
        providerRef: 'pi_eur',
        currency: 'EUR',
      }),
      422,
      'PAYMENT.CURRENCY_MISMATCH',
      'currency',
    );
    expectProblem(
      await engine.request('POST', `/pre-orders/${id}/payments`, { status: 'captured', amount: 0, providerRef: 'pi_zero' }),
      400,
      'VALIDATION.FAILED',
      'amount',
    );
    expectProblem(
      await engine.request('POST', `/pre-orders/${id}/payments`, {
        status: 'captured',
        amount: 2500,
        providerRef: 'pi_x',
        currency: 'ZZZ',
      }),
      400,
      'VALIDATION.FAILED',
      'currency',
    );
    expect(await revisionOf(dropId)).toBe(before);
    const ok = await engine.request('POST', `/pre-orders/${id}/payments`, {
      status: 'captured',
      amount: 2500,
      providerRef: 'pi_ok',
      currency: 'GBP',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.payment.captured).toBe(2500);
  });
});
