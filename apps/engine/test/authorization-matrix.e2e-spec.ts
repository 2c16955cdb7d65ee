import { registeredRoutes } from '@dropline/platform';
import { startTestEngine, TestEngine } from './support/test-engine';
import { mintTestToken, TEST_SUBJECTS, TestRole } from '../../../libs/platform/src/testing/test-auth';

/**
 * Every route of the running router × every role and every broken token, against this
 * literal table. A route added without a row here fails the test, and so does a row
 * for a route that no longer exists. `public` = anyone with no token or a valid one (a token
 * sent to a public route is verified: a broken one gets 401 there too); otherwise the
 * roles listed may pass the gate (what they then get is the handler's business) and
 * every other caller is refused: 401 without a valid token, 403 with the wrong role.
 */
const MATRIX: Record<string, 'public' | TestRole[]> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': ['ops', 'metrics'],
  'GET /drops': 'public',
  'GET /drops/:dropId': 'public',
  'GET /drops/:dropId/summary': 'public',
  'POST /drops': ['ops'],
  'PUT /drops/:dropId': ['ops'],
  'POST /drops/:dropId/open': ['ops'],
  'POST /drops/:dropId/announce': ['ops'],
  'POST /drops/:dropId/close': ['ops'],
  'POST /drops/:dropId/cancel': ['ops'],
  'POST /drops/:dropId/complete': ['ops'],
  'POST /drops/:dropId/phases/:phase/open': ['ops'],
  'POST /drops/:dropId/members': ['ops'],
  'DELETE /drops/:dropId/members/:customerId': ['ops'],
  'GET /drops/:dropId/members': ['ops'],
  'POST /drops/:dropId/production-runs': ['ops'],
  'POST /production-runs/:runId/start': ['ops', 'service'],
  'POST /production-runs/:runId/complete': ['ops', 'service'],
  'POST /drops/:dropId/pre-orders': ['customer', 'till'],
  'POST /pre-orders/:preOrderId/cancel': ['customer', 'ops'],
  'POST /pre-orders/:preOrderId/returns': ['customer', 'ops'],
  'GET /customers/:customerId/pre-orders': ['customer', 'ops', 'analyst'],
  'POST /pre-orders/:preOrderId/payments': ['service'],
  'POST /pre-orders/:preOrderId/refund-requests': ['ops'],
  'POST /returns/:returnId/refunds': ['service'],
  'POST /pre-orders/:preOrderId/dispatch': ['ops', 'service'],
  'POST /pre-orders/:preOrderId/delivered': ['ops', 'service'],
  'POST /pre-orders/:preOrderId/ready-for-pickup': ['ops', 'service'],
  'POST /pre-orders/:preOrderId/picked-up': ['ops', 'service'],
  'POST /returns/:returnId/receive': ['ops', 'service'],
  'GET /fulfillment/tasks': ['ops', 'service'],
  'GET /fulfillment/tasks/late': ['ops', 'service'],
  'POST /fulfillment/tasks/:preOrderId/dispatch': ['ops', 'service'],
  'POST /fulfillment/tasks/:preOrderId/delivered': ['ops', 'service'],
  'POST /fulfillment/tasks/:preOrderId/ready': ['ops', 'service'],
  'POST /fulfillment/tasks/:preOrderId/picked-up': ['ops', 'service'],
  'POST /drops/:dropId/visits': ['service', 'till'],
  'GET /drops/:dropId/history': ['ops', 'analyst'],
  'GET /events/:eventId': ['ops', 'analyst'],
  'GET /events/:eventId/effects': ['ops', 'analyst'],
  'GET /drops/:dropId/inventory': ['ops', 'analyst'],
  'GET /drops/:dropId/restock-thresholds': ['ops', 'analyst'],
  'GET /analytics/drops/:dropId': ['ops', 'analyst'],
  'GET /admin/projections': ['ops', 'analyst'],
  'GET /admin/projections/:name': ['ops', 'analyst'],
  'POST /admin/projections/:name/rebuild': ['ops'],
  'GET /messaging/status': ['ops', 'analyst'],
  'GET /messaging/dead-letters/:consumer': ['ops', 'analyst'],
  'POST /messaging/dead-letters/:consumer/redrive': ['ops'],
  'POST /messaging/dead-letters/:consumer/dismiss': ['ops'],
};

const ROLES: TestRole[] = ['ops', 'analyst', 'customer', 'till', 'service', 'metrics'];
const PARAMS: Record<string, string> = {
  dropId: 'matrix-drop',
  preOrderId: 'matrix-drop.po.abc123',
  runId: 'matrix-drop.run.2',
  returnId: 'matrix-drop.po.abc123.ret.1',
  customerId: TEST_SUBJECTS.customer,
  name: 'drop-summaries',
  phase: 'members',
  consumer: 'fulfillment',
};
const tampered = (token: string) => {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  return `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['ops', 'analyst', 'service'] })).toString('base64url')}.${s}`;
};
const BAD_TOKENS: Record<string, () => string> = {
  expired: () => mintTestToken('ops', 'ops-test', { expiresIn: -600 }),
  tampered: () => tampered(mintTestToken('customer', 'customer-test')),
  'alg none': () => mintTestToken('ops', 'ops-test', { header: { alg: 'none' } }),
  'wrong audience': () => mintTestToken('ops', 'ops-test', { audience: 'someone-else' }),
  'wrong issuer': () => mintTestToken('ops', 'ops-test', { issuer: 'https://evil.invalid/' }),
  'wrong key': () => mintTestToken('ops', 'ops-test', { secret: 'another-secret-that-is-long-enough-0123456789' }),
  'no roles': () => mintTestToken([], 'ops-test'),
  'unknown role': () => mintTestToken(['admin'], 'ops-test'),
};

describe('authorization matrix', () => {
  let engine: TestEngine;
  let routes: string[];
  beforeAll(async () => {
    // ≈ 350 bad tokens from one address are the point of this test: with the default
    // RATE_LIMIT_AUTH_FAILURES (30) the limiter would answer 429 before the gate says why it
    // refuses. The limiter itself is tested with its defaults in http-edge.e2e-spec.ts.
    engine = await startTestEngine({ env: { RATE_LIMIT_AUTH_FAILURES: '100000' } });
    routes = [
      ...new Set(
        registeredRoutes(engine.app)
          .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'))
          .map((r) => `${r.method} ${r.url}`),
      ),
    ].sort();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('has a row for every route the router serves, and no row for a route it does not', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !(r in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  const call = (route: string, token: string | null) => {
    const [method, pattern] = route.split(' ');
    const path = pattern.replace(/:([A-Za-z]+)/g, (_, p: string) => PARAMS[p] ?? 'x');
    return engine.request(method, path, method === 'GET' ? undefined : {}, {}, { token });
  };

  it('lets exactly the listed roles through, and refuses everyone else with 401 or 403', async () => {
    const mismatches: string[] = [];
    let calls = 0;
    for (const route of routes) {
      const allowed = MATRIX[route];
      if (!allowed) continue;
      const callers: Array<[string, string | null, boolean, number]> = [
        ...ROLES.map((role): [string, string, boolean, number] => [
          role,
          mintTestToken(role, TEST_SUBJECTS[role]),
          allowed === 'public' || allowed.includes(role),
          403,
        ]),
        ['no token', null, allowed === 'public', 401],
        ...Object.entries(BAD_TOKENS).map(([name, make]): [string, string, boolean, number] => [name, make(), false, 401]),
      ];
      for (const [caller, token, mayPass, refusal] of callers) {
        const res = await call(route, token);
        calls++;
        const passed = res.status !== 401 && res.status !== 403;
        if (passed !== mayPass || (!mayPass && res.status !== refusal) || res.status >= 500) {
          mismatches.push(
            `${route} as ${caller}: ${res.status} ${res.body?.code ?? ''} (expected ${mayPass ? 'through the gate' : refusal})`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(calls).toBeGreaterThan(routes.length * 10);
  });

  it('answers HEAD on every GET route as its GET does, for every caller (status and headers, no body)', async () => {
    const all = registeredRoutes(engine.app).map((r) => `${r.method} ${r.url}`);
    const gets = routes.filter((r) => r.startsWith('GET '));
    expect(gets.length).toBeGreaterThan(10);
    // Fastify serves HEAD from every GET route; each follows its GET's policy (route-policy.ts).
    expect(gets.filter((r) => !all.includes(r.replace('GET ', 'HEAD ')))).toEqual([]);
    const callers: Array<[string, string | null]> = [
      ['no token', null],
      ...ROLES.map((role): [string, string] => [role, mintTestToken(role, TEST_SUBJECTS[role])]),
      ['expired', BAD_TOKENS.expired()],
    ];
    const mismatches: string[] = [];
    for (const route of gets) {
      const path = route.split(' ')[1].replace(/:([A-Za-z]+)/g, (_, p: string) => PARAMS[p] ?? 'x');
      for (const [caller, token] of callers) {
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const get = await fetch(engine.url + path, { headers });
        await get.arrayBuffer();
        const head = await fetch(engine.url + path, { method: 'HEAD', headers });
        const body = await head.text();
        const seen = (r: Response) =>
          ['content-type', 'cache-control', 'www-authenticate', 'content-security-policy'].map((h) => `${h}=${r.headers.get(h)}`);
        if (head.status !== get.status || JSON.stringify(seen(head)) !== JSON.stringify(seen(get)) || body !== '')
          mismatches.push(
            `${route} as ${caller}: GET ${get.status} ${seen(get).join(' ')} / HEAD ${head.status} ${seen(head).join(' ')} body ${body.length}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('narrows customers to themselves and tills to popup/kiosk on pre-orders', async () => {
    const created = await engine.request('POST', '/drops', {
      ...(await import('./support/test-engine')).harbourHoodie(),
      channels: ['web', 'app', 'popup', 'kiosk'],
    });
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    engine.clock.set('2026-12-02T10:00:00Z');
    const order = { sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } };
    const asAlice = { role: 'customer' as const, sub: 'alice' };
    // customerId may be left out: it is the token's subject; the envelope's actor is that subject too.
    const placed = await engine.request('POST', `/drops/${dropId}/pre-orders`, order, { 'idempotency-key': 'a1' }, asAlice);
    expect(placed.status).toBe(201);
    const other = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { ...order, customerId: 'bob' },
      { 'idempotency-key': 'a2' },
      asAlice,
    );
    expect(other).toMatchObject({ status: 403, body: { code: 'AUTH.CUSTOMER_MISMATCH', field: 'customerId' } });
    const popup = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { ...order, channel: 'popup', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 'a3' },
      asAlice,
    );
    expect(popup).toMatchObject({ status: 403, body: { code: 'AUTH.CHANNEL_NOT_ALLOWED' } });
    const till = { role: 'till' as const, sub: 'till-harbourside' };
    expect(
      (
        await engine.request(
          'POST',
          `/drops/${dropId}/pre-orders`,
          { ...order, channel: 'popup', customerId: 'carol' },
          { 'idempotency-key': 't1' },
          till,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await engine.request(
          'POST',
          `/drops/${dropId}/pre-orders`,
          { ...order, channel: 'web', customerId: 'carol' },
          { 'idempotency-key': 't2' },
          till,
        )
      ).body.code,
    ).toBe('AUTH.CHANNEL_NOT_ALLOWED');
    expect(
      await engine.request('POST', `/drops/${dropId}/pre-orders`, { ...order, channel: 'kiosk' }, { 'idempotency-key': 't3' }, till),
    ).toMatchObject({ status: 400, body: { field: 'customerId' } });
    // Only the owner (or ops) cancels; bob cannot cancel alice's pre-order, and is told exactly what a missing id tells.
    const id = placed.body.preOrderId as string;
    const byBob = await engine.request('POST', `/pre-orders/${id}/cancel`, undefined, {}, { role: 'customer', sub: 'bob' });
    const missingId = `${dropId}.po.doesnotexist`;
    const missing = await engine.request('POST', `/pre-orders/${missingId}/cancel`, undefined, {}, { role: 'customer', sub: 'bob' });
    expect(byBob.status).toBe(404);
    expect(JSON.stringify(byBob.body).replaceAll(id, 'ID')).toBe(JSON.stringify(missing.body).replaceAll(missingId, 'ID'));
    expect((await engine.request('POST', `/pre-orders/${id}/cancel`, undefined, {}, asAlice)).status).toBe(200);
    const history = await engine.request('GET', `/drops/${dropId}/history`);
    const actors = history.body.events.map((e: { type: string; actor: string }) => `${e.type}:${e.actor}`);
    expect(actors).toEqual(
      expect.arrayContaining([
        'DropScheduled:ops-test',
        'PreOrderPlaced:alice',
        'PreOrderPlaced:till-harbourside',
        'PreOrderCancelled:alice',
      ]),
    );
    // A customer reads only their own pre-orders.
    expect((await engine.request('GET', '/customers/bob/pre-orders', undefined, {}, asAlice)).body.code).toBe('AUTH.CUSTOMER_MISMATCH');
  });

  it('answers 401 with WWW-Authenticate and a stable code', async () => {
    const res = await engine.request('POST', '/drops', {}, {}, { token: null });
    expect(res).toMatchObject({ status: 401, body: { code: 'AUTH.UNAUTHENTICATED' } });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await engine.request('POST', '/drops', {}, {}, { token: BAD_TOKENS.expired() })).body.code).toBe('AUTH.TOKEN_EXPIRED');
  });
});
