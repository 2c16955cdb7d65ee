import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';
import { mintTestToken } from '../../../libs/platform/src/testing/test-auth';

/**
 * The claims a token must carry, over real HTTP: a token without exp, with an iat in the
 * future or with a sub that cannot be an event's actor is 401 application/problem+json
 * naming the claim, and nothing is appended (a NUL or a lone surrogate in the actor once
 * made PostgreSQL refuse a whole batch's jsonb).
 */
describe('token claims', () => {
  let engine: TestEngine;
  let dropId: string;
  const now = () => Math.floor(Date.now() / 1000);
  const eventCount = async () => (await engine.databases.readModels.query(`select count(*)::int as n from events`)).rows[0].n as number;
  const order = { sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } };

  beforeAll(async () => {
    engine = await startTestEngine();
    const created = await engine.request('POST', '/drops', harbourHoodie());
    expect(created.status).toBe(201);
    dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    engine.clock.set('2026-12-02T10:00:00Z');
  });
  afterAll(async () => {
    await engine?.close();
  });

  const refusals: Array<[string, () => string, 'ops' | 'customer', string]> = [
    ['no exp', () => mintTestToken('ops', 'ops-test', { claims: { exp: undefined } }), 'ops', 'exp'],
    [
      'an iat a year ahead',
      () => mintTestToken('ops', 'ops-test', { claims: { iat: now() + 365 * 24 * 3600, exp: now() + 366 * 24 * 3600 } }),
      'ops',
      'iat',
    ],
    ['a NUL in sub', () => mintTestToken('ops', 'ops\u0000test'), 'ops', 'sub'],
    ['a lone surrogate in sub', () => mintTestToken('ops', 'ops\ud800'), 'ops', 'sub'],
    ['a 129-character sub', () => mintTestToken('ops', 'o'.repeat(129)), 'ops', 'sub'],
    ['an empty sub', () => mintTestToken('ops', ''), 'ops', 'sub'],
    ['a NUL in a customer sub', () => mintTestToken('customer', 'c\u0000'), 'customer', 'sub'],
    ['a customer sub that is not a customerId', () => mintTestToken('customer', 'bad customer!'), 'customer', 'sub'],
  ];

  it.each(refusals)('refuses a token with %s: 401 problem+json naming the claim, 0 events appended', async (_name, make, role, field) => {
    const before = await eventCount();
    const token = make();
    const res =
      role === 'ops'
        ? await engine.request('POST', '/drops', harbourHoodie(), {}, { token })
        : await engine.request('POST', `/drops/${dropId}/pre-orders`, order, { 'idempotency-key': `claims-${field}-${before}` }, { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body).toMatchObject({ status: 401, code: 'AUTH.TOKEN_INVALID', field });
    expect(res.body.detail).toContain(field);
    expect(await eventCount()).toBe(before);
  });

  it('accepts an iat 3 s ahead (clock tolerance) and a token that lives a year, recording the subject as actor', async () => {
    const ahead = mintTestToken('ops', 'ops-ahead', { claims: { iat: now() + 3 } });
    const created = await engine.request('POST', '/drops', harbourHoodie(), {}, { token: ahead });
    expect(created.status).toBe(201);
    const customer = mintTestToken('customer', 'c-claims', { expiresIn: 365 * 24 * 3600 });
    expect(
      (await engine.request('POST', `/drops/${dropId}/pre-orders`, order, { 'idempotency-key': 'claims-ok' }, { token: customer })).status,
    ).toBe(201);
    const actors = (await engine.request('GET', `/drops/${created.body.dropId}/history`)).body.events.map(
      (e: { actor: string }) => e.actor,
    );
    expect(actors).toEqual(['ops-ahead']);
  });
});
