import fc from 'fast-check';
import { describeWithPostgres } from '../../../test/support/postgres';
import { defaultToken, harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Malformed-input fuzz: FUZZ_RUNS (default 10,000) requests, each ONE mutation away from
 * a valid request to its route and sent with a valid token for that route, so that
 * validation — not authentication, not the domain — must answer. The run passes when
 * every answer is a 400/413/414/415/431 problem with a stable code (and a field where one is to
 * blame), no event was appended and no row changed anywhere, and the engine still takes
 * a correct pre-order afterwards. Mutations at the edge answer their own problem: a path
 * parameter over 300 characters or a request line over 16 KiB 414, headers over 16 KiB 431,
 * malformed percent-encoding 400 REQUEST.INVALID_URL, a body that is not JSON (text, form,
 * multipart, XML) 415 — Fastify's and Node's own answers included, never their plain JSON.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
/** PostgreSQL runs the same fuzz at a smaller count, so npm test stays within its budget. */
const RUNS_POSTGRES = Number(process.env.FUZZ_RUNS_POSTGRES ?? 1_500);
/** Characters no event can store: PostgreSQL refuses them in jsonb, so validation must. */
const POISON = ['\u0000', '\ud800', '\udfff', 'a\udbff'];
/** Names that reach prototype properties when a lookup uses a plain object. */
const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
/** Nesting depths for the JSON depth limit (32). */
const DEPTHS = [33, 64, 3_000, 100_000];

type Json = Record<string, any>;
interface Base {
  name: string;
  method: string;
  /** Path with `{param}` placeholders. */
  path: string;
  params: Record<string, { valid: string; invalid: string[] }>;
  body?: Json;
  /** Dotted paths of body fields: required ones may be removed, all may be retyped. */
  required?: string[];
  fields?: string[];
  /** Values that are the right type but out of range or malformed, per field. */
  bad?: Record<string, unknown[]>;
  query?: Record<string, string>;
  badQuery?: Record<string, string[]>;
  headers?: Record<string, string>;
  badHeaders?: Record<string, string[]>;
  /** Other answers a prototype name as a path parameter may get here (beyond 400/403/404/405). */
  protoAnswers?: number[];
}

/** Dotted paths of every string value in `o`, and of every object key (as `key:<path>`). */
function stringPaths(o: unknown, prefix = ''): string[] {
  if (typeof o === 'string') return [prefix];
  if (Array.isArray(o)) return o.flatMap((v, i) => stringPaths(v, prefix ? `${prefix}.${i}` : String(i)));
  if (typeof o === 'object' && o !== null) {
    return Object.entries(o).flatMap(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k;
      return [`key:${path}`, ...stringPaths(v, path)];
    });
  }
  return [];
}
const insertAt = (text: string, char: string, at: number) =>
  text.slice(0, at % (text.length + 1)) + char + text.slice(at % (text.length + 1));
function nested(depth: number, a: number): string {
  return a % 2 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}
/** Percent-encodes a path segment; a lone surrogate (which encodeURIComponent refuses) goes as its raw CESU-8 bytes. */
function encodeSegment(value: string): string {
  return [...value]
    .map((ch) => {
      const code = ch.charCodeAt(0);
      if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff)
        return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
      return encodeURIComponent(ch);
    })
    .join('');
}
function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`)
    .join('&');
}

const get = (o: Json, path: string) => path.split('.').reduce<any>((v, k) => v?.[k], o);
function set(o: Json, path: string, value: unknown, remove = false): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce<any>((v, k) => v[k], o);
  if (remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = value;
}
// No null: for an optional field JSON null means "absent", which is a valid request.
function wrongType(v: unknown): unknown[] {
  if (typeof v === 'number') return ['12', true, [v], { v }];
  if (typeof v === 'string') return [12345, false, [v], { v }];
  if (Array.isArray(v)) return ['list', 7, { 0: v[0] }];
  if (typeof v === 'object' && v !== null) return ['object', 7, [v]];
  return ['x', 1];
}

function fuzzSuite(store: 'pglite' | 'postgres', runs: number) {
  let engine: TestEngine;
  let bases: Base[];

  const snapshot = async () => {
    const { rows: tables } = await engine.databases.readModels.query<{ name: string }>(
      `select quote_ident(table_schema) || '.' || quote_ident(table_name) as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      const { rows } = await engine.databases.readModels.query(
        `select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as v from ${name} t`,
      );
      out[name] = rows[0].v;
    }
    return out;
  };
  const settled = async () => {
    let before = await snapshot();
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await snapshot();
      if (JSON.stringify(now) === JSON.stringify(before)) return now;
      before = now;
    }
    return before;
  };

  beforeAll(async () => {
    // The fuzz sends its 10,000 requests as a handful of token subjects (ops-test, …) at ≈ 800/s:
    // over the default RATE_LIMIT_AUTHENTICATED (6,000 per minute per subject) the limiter would
    // answer 429 where validation must. The limiter is tested at its defaults in http-edge.e2e-spec.ts.
    engine = await startTestEngine({ store, now: '2026-12-02T10:00:00Z', env: { RATE_LIMIT_AUTHENTICATED: '1000000' } });
    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({ window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' } }),
    );
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const placed = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: 'c-fuzz', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 'fuzz-0' },
    );
    expect(placed.status).toBe(201);
    const preOrderId = placed.body.preOrderId as string;
    const drop = { valid: dropId, invalid: ['bad!id', 'a'.repeat(65), 'has.dot', '%20'] };
    const child = (valid: string) => ({ valid, invalid: ['no-dots', 'bad!.po.x', `${dropId}.PO.x`, `${'a'.repeat(65)}.po.x`] });
    const pre = child(preOrderId);
    const definition = harbourHoodie();
    const defFields = [
      'name',
      'city',
      'currency',
      'channels',
      'variants',
      'variants.0',
      'variants.0.sku',
      'variants.0.size',
      'variants.0.editionCap',
      'priceTiers',
      'priceTiers.0.unitPrice',
      'basketTiers.0.percentOff',
      'window',
      'window.opensAt',
      'window.closesAt',
      'perCustomerLimit',
      'minimumOrderQuantity',
      'production',
      'production.microfactoryId',
      'production.leadTimeDays',
      'pickupLocations.0.locationId',
      'returnWindowDays',
    ];
    const defBad = {
      currency: ['gbp', 'POUNDS', ''],
      channels: [[], ['web', 'web'], ['post']],
      'variants.0.editionCap': [0, -1, 1.5, 1e12],
      'variants.0.sku': ['', 'bad sku', '-x'],
      'priceTiers.0.unitPrice': [-1, 0.5, 1e12],
      'basketTiers.0.percentOff': [101, -1],
      'window.opensAt': ['tomorrow', '2026-13-01T00:00:00Z', ''],
      perCustomerLimit: [0, -3, 2.5],
      name: ['', 'x'.repeat(5000)],
      returnWindowDays: [-1, 1e9],
    };
    // Phases instead of earlyAccess; the key is deleted, not left undefined (a poisoned undefined key would vanish from the JSON).
    const phasedDefinition: Json = {
      ...harbourHoodie(),
      onSellOut: 'close',
      phases: [
        { name: 'members', opensAt: '2026-11-28T10:00:00Z', audience: 'members', allocation: { 'HH-M-NAVY': 5 } },
        { name: 'bristol', opensAt: '2026-11-30T10:00:00Z', audience: 'city' },
      ],
    };
    delete phasedDefinition.earlyAccess;
    const order = {
      customerId: 'c-fuzz-2',
      sku: 'HH-M-NAVY',
      quantity: 1,
      channel: 'web',
      fulfillment: { method: 'pickup', locationId: 'popup-harbourside' },
      referralCode: 'FRIEND-1',
    };
    bases = [
      {
        name: 'schedule',
        method: 'POST',
        path: '/drops',
        params: {},
        body: definition,
        required: [
          'name',
          'currency',
          'variants',
          'priceTiers',
          'window',
          'window.opensAt',
          'perCustomerLimit',
          'minimumOrderQuantity',
          'production',
          'variants.0.sku',
          'variants.0.editionCap',
        ],
        fields: defFields,
        bad: defBad,
        headers: { 'idempotency-key': 'fuzz-schedule' },
        badHeaders: { 'idempotency-key': ['has space', 'x'.repeat(129), 'semi;colon'] },
      },
      {
        name: 'schedule with phases',
        method: 'POST',
        path: '/drops',
        params: {},
        body: phasedDefinition,
        required: ['phases.0.name', 'phases.0.opensAt', 'phases.0.audience', 'phases.1.audience'],
        fields: [
          'phases',
          'phases.0',
          'phases.0.name',
          'phases.0.opensAt',
          'phases.0.audience',
          'phases.0.allocation',
          'phases.0.allocation.HH-M-NAVY',
          'onSellOut',
        ],
        bad: {
          phases: [[], [[]], Array.from({ length: 9 }, () => ({ name: 'p', opensAt: '2026-11-28T10:00:00Z', audience: 'members' }))],
          'phases.0.name': ['', 'Members', 'a b', '-x', 'x'.repeat(33)],
          'phases.0.opensAt': ['soon', '2026-13-01T00:00:00Z', ''],
          'phases.0.audience': ['vips', 'Everyone', ''],
          'phases.0.allocation': [{}, [], { 'bad sku': 1 }, { 'HH-M-NAVY': -1 }, { 'HH-M-NAVY': 1.5 }, { 'HH-M-NAVY': 1e12 }],
          onSellOut: ['vanish', 'Close', ''],
        },
      },
      {
        name: 'revise',
        method: 'PUT',
        path: '/drops/{dropId}',
        params: { dropId: drop },
        body: definition,
        required: ['name', 'variants', 'window'],
        fields: defFields,
        bad: defBad,
      },
      {
        name: 'place',
        method: 'POST',
        path: '/drops/{dropId}/pre-orders',
        params: { dropId: drop },
        body: order,
        required: ['sku', 'quantity', 'channel', 'fulfillment', 'fulfillment.method', 'fulfillment.locationId'],
        fields: ['customerId', 'sku', 'quantity', 'channel', 'fulfillment', 'fulfillment.method', 'fulfillment.locationId', 'referralCode'],
        bad: {
          quantity: [0, -1, 1.5, 1001, 1e12],
          sku: ['', 'bad sku', 'x'.repeat(65)],
          channel: ['post', 'WEB', ''],
          'fulfillment.method': ['teleport', ''],
          'fulfillment.locationId': ['', 'bad location'],
          referralCode: ['', 'bad code!'],
          customerId: ['', 'bad customer!', '-x'],
        },
        headers: { 'idempotency-key': 'fuzz-place' },
        badHeaders: { 'idempotency-key': ['', 'has space', 'x'.repeat(129)] },
      },
      {
        name: 'cancel drop',
        method: 'POST',
        path: '/drops/{dropId}/cancel',
        params: { dropId: drop },
        body: { reason: 'fuzz' },
        required: ['reason'],
        fields: ['reason'],
        bad: { reason: ['', 'x'.repeat(501)] },
      },
      { name: 'open', method: 'POST', path: '/drops/{dropId}/open', params: { dropId: drop } },
      {
        name: 'open phase',
        method: 'POST',
        path: '/drops/{dropId}/phases/{phase}/open',
        params: { dropId: drop, phase: { valid: 'early-access', invalid: ['Early-Access', 'a b', '-x', 'x'.repeat(33), 'a.b'] } },
        // `constructor` is a well-formed phase name the drop does not have: 404 DROP.UNKNOWN_PHASE, also once it is open.
        protoAnswers: [404],
      },
      {
        name: 'add members',
        method: 'POST',
        path: '/drops/{dropId}/members',
        params: { dropId: drop },
        body: { customerIds: ['m-1', 'm-2'] },
        required: ['customerIds'],
        fields: ['customerIds', 'customerIds.0', 'customerIds.1'],
        bad: {
          customerIds: [[], Array.from({ length: 1001 }, (_, i) => `m-${i}`)],
          'customerIds.1': ['', 'bad customer!', '-x', 'x'.repeat(129)],
        },
      },
      {
        name: 'list members',
        method: 'GET',
        path: '/drops/{dropId}/members',
        params: { dropId: drop },
        query: { limit: '10' },
        badQuery: { limit: ['0', '1001', 'ten', '1.5'], after: ['bad customer!', '-x'], unknown: ['1'] },
      },
      { name: 'close', method: 'POST', path: '/drops/{dropId}/close', params: { dropId: drop } },
      { name: 'complete', method: 'POST', path: '/drops/{dropId}/complete', params: { dropId: drop } },
      { name: 'cancel pre-order', method: 'POST', path: '/pre-orders/{preOrderId}/cancel', params: { preOrderId: pre } },
      {
        name: 'payment',
        method: 'POST',
        path: '/pre-orders/{preOrderId}/payments',
        params: { preOrderId: pre },
        body: { status: 'authorized', amount: 2500, providerRef: 'pi_1' },
        required: ['status', 'amount', 'providerRef'],
        fields: ['status', 'amount', 'providerRef'],
        bad: { status: ['paid', ''], amount: [-1, 1.5, 1e10], providerRef: ['', 'bad ref'] },
      },
      {
        name: 'refund request',
        method: 'POST',
        path: '/pre-orders/{preOrderId}/refund-requests',
        params: { preOrderId: pre },
        body: { reason: 'fuzz' },
        required: ['reason'],
        fields: ['reason'],
        bad: { reason: ['', 'x'.repeat(501)] },
      },
      {
        name: 'dispatch',
        method: 'POST',
        path: '/pre-orders/{preOrderId}/dispatch',
        params: { preOrderId: pre },
        body: { carrier: 'royal-mail', trackingNumber: 'RM1' },
        required: ['carrier', 'trackingNumber'],
        fields: ['carrier', 'trackingNumber'],
        bad: { carrier: ['', 'x'.repeat(65)], trackingNumber: ['', 'bad number'] },
      },
      { name: 'delivered', method: 'POST', path: '/pre-orders/{preOrderId}/delivered', params: { preOrderId: pre } },
      {
        name: 'request return',
        method: 'POST',
        path: '/pre-orders/{preOrderId}/returns',
        params: { preOrderId: pre },
        body: { reason: 'changed-mind' },
        required: ['reason'],
        fields: ['reason'],
        bad: { reason: ['meh', ''] },
      },
      {
        name: 'receive return',
        method: 'POST',
        path: '/returns/{returnId}/receive',
        params: { returnId: child(`${preOrderId}.ret.1`) },
        body: { condition: 'restockable' },
        required: ['condition'],
        fields: ['condition'],
        bad: { condition: ['broken?', ''] },
      },
      {
        name: 'return refund',
        method: 'POST',
        path: '/returns/{returnId}/refunds',
        params: { returnId: child(`${preOrderId}.ret.1`) },
        body: { amount: 100, providerRef: 're_1' },
        required: ['amount', 'providerRef'],
        fields: ['amount', 'providerRef'],
        bad: { amount: [-5, 0.1], providerRef: ['', 'bad ref'] },
      },
      {
        name: 'request run',
        method: 'POST',
        path: '/drops/{dropId}/production-runs',
        params: { dropId: drop },
        body: { unitsBySku: { 'HH-M-NAVY': 5 }, runNumber: 2 },
        required: ['unitsBySku'],
        fields: ['unitsBySku', 'runNumber'],
        bad: { unitsBySku: [{}, { 'bad sku': 1 }, { 'HH-M-NAVY': -1 }, { 'HH-M-NAVY': 1.5 }], runNumber: [1, 0, 1e6] },
      },
      { name: 'start run', method: 'POST', path: '/production-runs/{runId}/start', params: { runId: child(`${dropId}.run.2`) } },
      {
        name: 'complete run',
        method: 'POST',
        path: '/production-runs/{runId}/complete',
        params: { runId: child(`${dropId}.run.2`) },
        body: { producedBySku: { 'HH-M-NAVY': 5 }, rejectedBySku: {} },
        required: ['producedBySku', 'rejectedBySku'],
        fields: ['producedBySku', 'rejectedBySku'],
        bad: { producedBySku: [{}, { 'HH-M-NAVY': -2 }], rejectedBySku: [{ x: 'y' }] },
      },
      {
        name: 'history',
        method: 'GET',
        path: '/drops/{dropId}/history',
        params: { dropId: drop },
        query: { limit: '10' },
        badQuery: { limit: ['0', '1001', 'ten', '1.5'], after: ['!!', 'eyJ4IjoxfQ'], unknown: ['1'] },
      },
      {
        name: 'get drop',
        method: 'GET',
        path: '/drops/{dropId}',
        params: { dropId: drop },
        query: { revision: '0' },
        badQuery: { revision: ['-1', 'zero', '1.5'], asOf: ['yesterday', '2026-02-30T00:00:00Z'], unknown: ['1'] },
      },
      {
        name: 'list drops',
        method: 'GET',
        path: '/drops',
        params: {},
        query: { city: 'Bristol', limit: '10' },
        badQuery: { limit: ['0', '-1', 'ten', '1e9'], offset: ['-1', 'x'], city: ['', 'x'.repeat(101)], unknown: ['1'] },
      },
      {
        name: 'inventory',
        method: 'GET',
        path: '/drops/{dropId}/inventory',
        params: { dropId: drop },
        query: {},
        badQuery: { unknown: ['1'], limit: ['5'] },
      },
      {
        name: 'restock',
        method: 'GET',
        path: '/drops/{dropId}/restock-thresholds',
        params: { dropId: drop },
        query: {},
        badQuery: { unknown: ['1'], policy: ['x'] },
      },
      {
        name: 'summary',
        method: 'GET',
        path: '/drops/{dropId}/summary',
        params: { dropId: drop },
        query: {},
        badQuery: { unknown: ['1'] },
      },
      {
        name: 'customer pre-orders',
        method: 'GET',
        path: '/customers/{customerId}/pre-orders',
        params: { customerId: { valid: 'c-fuzz', invalid: ['bad customer!', '-x', 'x'.repeat(200)] } },
        query: { limit: '10' },
        badQuery: { limit: ['0', 'ten'], offset: ['-1'], unknown: ['1'] },
      },
      {
        name: 'analytics',
        method: 'GET',
        path: '/analytics/drops/{dropId}',
        params: { dropId: drop },
        query: {},
        badQuery: { unknown: ['1'] },
      },
      { name: 'fulfillment tasks', method: 'GET', path: '/fulfillment/tasks', params: {}, query: {}, badQuery: { unknown: ['1'] } },
      { name: 'late tasks', method: 'GET', path: '/fulfillment/tasks/late', params: {}, query: {}, badQuery: { unknown: ['1'] } },
      { name: 'projections', method: 'GET', path: '/admin/projections', params: {}, query: {}, badQuery: { unknown: ['1'] } },
      { name: 'messaging', method: 'GET', path: '/messaging/status', params: {}, query: {}, badQuery: { unknown: ['1'] } },
      {
        name: 'visits',
        method: 'POST',
        path: '/drops/{dropId}/visits',
        params: { dropId: drop },
        body: { visits: [{ visitorId: 'v-1', channel: 'web', at: '2026-12-02T10:00:00Z' }] },
        required: ['visits'],
        fields: ['visits', 'visits.0', 'visits.0.visitorId', 'visits.0.channel', 'visits.0.at'],
        bad: { visits: [[], [[]], [null]], 'visits.0.channel': ['fax', ''], 'visits.0.at': ['soon', '2026-02-30T00:00:00Z'] },
      },
    ];
  });
  afterAll(async () => {
    await engine?.close();
  });

  it(`answers ${runs} one-mutation-away requests with 4xx validation problems and changes nothing`, async () => {
    const before = await settled();
    const eventsBefore = (await engine.databases.readModels.query(`select count(*)::int as n from events`)).rows[0].n;
    const statuses = new Map<string, number>();
    let sent = 0;
    type Mutation =
      | 'remove'
      | 'retype'
      | 'bad'
      | 'unknown'
      | 'param'
      | 'header'
      | 'query'
      | 'json'
      | 'content-type'
      | 'too-large'
      | 'poison'
      | 'deep'
      | 'proto'
      | 'long-path'
      | 'big-headers'
      | 'bad-encoding';
    const kinds: Mutation[] = [
      'remove',
      'retype',
      'bad',
      'unknown',
      'param',
      'header',
      'query',
      'json',
      'content-type',
      'too-large',
      'poison',
      'poison',
      'deep',
      'proto',
      'long-path',
      'big-headers',
      'bad-encoding',
    ];
    const caseArb = fc.record({
      base: fc.nat(),
      kind: fc.constantFrom<Mutation>(...kinds),
      a: fc.nat(),
      b: fc.nat(),
      junk: fc.string({ maxLength: 20 }),
    });

    await fc.assert(
      fc.asyncProperty(caseArb, async ({ base: bi, kind, a, b, junk }) => {
        const base = bases[bi % bases.length];
        const body: Json | undefined = base.body ? structuredClone(base.body) : undefined;
        const params = Object.fromEntries(Object.entries(base.params).map(([k, v]) => [k, v.valid]));
        const headers: Record<string, string> = { ...(base.headers ?? {}) };
        const query = { ...(base.query ?? {}) };
        let raw: string | undefined;
        let contentType: string | undefined;
        let rawPath: string | undefined;
        /** A path parameter sent as written, not percent-encoded again. */
        let badSegment: { key: string; value: string } | undefined;
        // Pick a mutation this route can take; fall back to a bad path parameter, which every base has or a bad query/body.
        const has = {
          remove: !!base.required?.length,
          retype: !!base.fields?.length,
          bad: !!base.bad,
          unknown: !!body || !!base.query,
          param: Object.keys(base.params).length > 0,
          header: !!base.badHeaders,
          query: !!base.badQuery,
          json: !!body,
          'content-type': !!body,
          'too-large': !!body,
          poison: true,
          deep: base.method !== 'GET',
          proto: true,
          'long-path': Object.keys(base.params).length > 0,
          'big-headers': true,
          'bad-encoding': Object.keys(base.params).length > 0,
        };
        const chosen: Mutation = has[kind] ? kind : (['param', 'query', 'unknown', 'retype'] as Mutation[]).find((k) => has[k])!;
        switch (chosen) {
          case 'remove':
            set(body!, base.required![a % base.required!.length], undefined, true);
            break;
          case 'retype': {
            const f = base.fields![a % base.fields!.length];
            const options = wrongType(get(body!, f));
            set(body!, f, options[b % options.length]);
            break;
          }
          case 'bad': {
            const keys = Object.keys(base.bad!);
            const f = keys[a % keys.length];
            const options = base.bad![f];
            set(body!, f, options[b % options.length]);
            break;
          }
          case 'unknown':
            if (body) {
              // An unknown key at the top or inside a nested object of the body.
              const objects = [''].concat(
                (base.fields ?? []).filter((f) => {
                  const v = get(body, f);
                  return typeof v === 'object' && v !== null && !Array.isArray(v) && !/BySku$/.test(f);
                }),
              );
              const at = objects[a % objects.length];
              const target = at ? get(body, at) : body;
              target[`x_${junk.replace(/[^a-z]/gi, '') || 'extra'}_${b % 100}`] = junk;
            } else query[`unknown_${b % 100}`] = junk || '1';
            break;
          case 'param': {
            const keys = Object.keys(base.params);
            const k = keys[a % keys.length];
            const options = base.params[k].invalid;
            params[k] = options[b % options.length];
            break;
          }
          case 'header': {
            const keys = Object.keys(base.badHeaders!);
            const h = keys[a % keys.length];
            const options = base.badHeaders![h];
            headers[h] = options[b % options.length];
            break;
          }
          case 'query': {
            const keys = Object.keys(base.badQuery!);
            const q = keys[a % keys.length];
            const options = base.badQuery![q];
            query[q] = options[b % options.length];
            break;
          }
          case 'json': {
            const text = JSON.stringify(body);
            raw = text.slice(0, 1 + (a % (text.length - 1))) + (b % 2 ? '' : ',,');
            break;
          }
          case 'content-type': {
            // Bodies that are not JSON: refused by type (415) before validation, whatever they carry.
            const types = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=fz'];
            contentType = types[a % types.length];
            const flat = Object.entries(body!).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
            raw =
              contentType === 'application/x-www-form-urlencoded'
                ? new URLSearchParams(flat).toString()
                : contentType.startsWith('multipart/')
                  ? flat.map(([k, v]) => `--fz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + '--fz--\r\n'
                  : JSON.stringify(body);
            break;
          }
          case 'long-path': {
            // A path parameter over maxParamLength (300), or a request line over Node's 16 KiB header budget.
            const keys = Object.keys(params);
            params[keys[a % keys.length]] = 'a'.repeat([301, 2_000, 17_000, 40_000][b % 4]);
            break;
          }
          case 'big-headers': {
            // One header, or many, over Node's 16 KiB budget for the request line and headers.
            if (a % 2) headers['x-fuzz-pad'] = 'p'.repeat(16_500 + (b % 20_000));
            else for (let i = 0; i < 300 + (b % 200); i++) headers[`x-fuzz-${i}`] = 'q'.repeat(60);
            break;
          }
          case 'bad-encoding': {
            const keys = Object.keys(params);
            const k = keys[a % keys.length];
            // Malformed anywhere: a non-hex escape, bytes that are not UTF-8, an encoded surrogate. Cut short: only at the end
            // (a lone `%` or `%E0%A4%A` followed by hex digits would be a valid escape).
            const anywhere = ['%G1', '%C3%28', '%FF', '%ED%A0%80', '%%'];
            const atEnd = ['%', '%E', '%E0%A4%A'];
            const pick = b % (anywhere.length + atEnd.length);
            badSegment = {
              key: k,
              value: pick < anywhere.length ? insertAt(params[k], anywhere[pick], b) : params[k] + atEnd[pick - anywhere.length],
            };
            break;
          }
          case 'too-large':
            raw = JSON.stringify({ ...body, padding: 'x'.repeat(300 * 1024) });
            break;
          case 'poison': {
            // A NUL or an unpaired surrogate in one string: a body value or key, a query value, a path parameter.
            const targets = [
              ...(body ? stringPaths(body).map((p) => `body:${p}`) : []),
              ...Object.keys(query).map((q) => `query:${q}`),
              ...Object.keys(params).map((p) => `param:${p}`),
              'query:*',
            ];
            const target = targets[a % targets.length];
            const [where, ...rest] = target.split(':');
            const what = rest.join(':');
            // A URL is UTF-8: an unpaired surrogate cannot travel in a query (its CESU-8 bytes decode
            // to replacement characters there); NUL can. Bodies carry both as JSON escapes.
            const char = where === 'query' ? '\u0000' : POISON[b % POISON.length];
            if (where === 'query') {
              if (what === '*') query[`poison${char}`] = '1';
              else query[what] = insertAt(query[what], char, b);
            } else if (where === 'param') params[what] = insertAt(params[what], char, b);
            else if (what.startsWith('key:')) {
              const keyPath = what.slice(4);
              const parts = keyPath.split('.');
              const key = parts.pop()!;
              const parent = parts.length ? get(body!, parts.join('.')) : body!;
              parent[insertAt(key, char, b)] = parent[key];
              delete parent[key];
            } else set(body!, what, insertAt(get(body!, what), char, b));
            break;
          }
          case 'deep':
            raw = nested(DEPTHS[b % DEPTHS.length], a);
            break;
          case 'proto': {
            // Prototype names as whole paths, under /docs, and as every path parameter.
            const name = PROTO_NAMES[b % PROTO_NAMES.length];
            const keys = Object.keys(params);
            if (a % 3 === 0 || keys.length === 0)
              rawPath = [`/${name}`, `/docs/${name}`, `/docs/${name}/x`, `/drops/${name}/${name}`][a % 4];
            else params[keys[a % keys.length]] = name;
            break;
          }
        }
        const query_ = Object.keys(query).length ? `?${queryString(query)}` : '';
        const path =
          rawPath ??
          base.path.replace(/\{(\w+)\}/g, (_, p: string) => (badSegment?.key === p ? badSegment.value : encodeSegment(params[p]))) + query_;
        // The token is chosen from the VALID request (its customer), so authentication is never what answers.
        const validPath = base.path.replace(/\{(\w+)\}/g, (_, p: string) => base.params[p].valid);
        const token = base.name === 'place' ? engine.token('customer', 'c-fuzz-2') : defaultToken(base.method, validPath);
        const res = await engine.request(
          base.method,
          path,
          raw ?? body,
          { ...headers, ...(contentType ? { 'content-type': contentType } : {}) },
          { token },
        );
        sent++;
        const key = `${res.status} ${res.body?.code}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        // Prototype names are well-formed ids of things that do not exist (404), or not ids at all (400).
        // A read of a well-formed id that happens to be a prototype name (customer "constructor") is an ordinary empty answer.
        const allowed: Record<string, number[]> = {
          proto: [...(base.method === 'GET' ? [200] : []), ...(base.protoAnswers ?? []), 400, 403, 404, 405],
          'content-type': [415],
          'long-path': [414],
          'big-headers': [431],
          'bad-encoding': [400],
        };
        const allowedHere = allowed[chosen] ?? [400, 413, 415];
        const problemOk =
          res.status < 400 ||
          (typeof res.body?.code === 'string' && res.headers.get('content-type')?.startsWith('application/problem+json') === true);
        if (!allowedHere.includes(res.status) || !problemOk) {
          throw new Error(
            `${base.name} / ${chosen}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)} for ${base.method} ${path} ${String(raw ?? JSON.stringify(body)).slice(0, 300)}`,
          );
        }
        if (res.body.code === 'VALIDATION.FAILED' && typeof res.body.field !== 'string')
          throw new Error(`VALIDATION.FAILED without a field: ${JSON.stringify(res.body)}`);
      }),
      { numRuns: runs, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );

    expect(sent).toBeGreaterThanOrEqual(runs);
    const eventsAfter = (await engine.databases.readModels.query(`select count(*)::int as n from events`)).rows[0].n;
    expect(eventsAfter).toBe(eventsBefore);
    expect(await snapshot()).toEqual(before);
    // Still serving correct requests.
    const ok = await engine.request(
      'POST',
      `/drops/${bases.find((b) => b.name === 'place')!.params.dropId.valid}/pre-orders`,
      { customerId: 'c-after', sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': 'after-fuzz' },
    );
    expect(ok.status).toBe(201);
    console.log(
      `[fuzz ${store}] ${sent} malformed requests: ${[...statuses]
        .sort((x, y) => y[1] - x[1])
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}; events ${eventsBefore} → ${eventsAfter}, rows unchanged`,
    );
  }, 900_000);
}

describe('malformed-input fuzz (PGlite)', () => fuzzSuite('pglite', RUNS));
describeWithPostgres('malformed-input fuzz (PostgreSQL)', () => fuzzSuite('postgres', RUNS_POSTGRES));
