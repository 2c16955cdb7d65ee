import fc from 'fast-check';
import { harbourHoodie } from './test-engine';

/**
 * The malformed-input fuzz's cases (fuzz.e2e-spec.ts), shared with the validation parity test
 * (src/validation-parity.spec.ts), which runs every body, query and path parameter they produce
 * through both the class-validator path and the compiled validators: the bases (one valid
 * request per route, with its fields, required fields and bad values) and the mutations.
 */

/** Characters no event can store: PostgreSQL refuses them in jsonb, so validation must. */
export const POISON = ['\u0000', '\ud800', '\udfff', 'a\udbff'];
/** Names that reach prototype properties when a lookup uses a plain object. */
export const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
/** Nesting depths for the JSON depth limit (32). */
export const DEPTHS = [33, 64, 3_000, 100_000];

export type Json = Record<string, any>;
export interface Base {
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
export function encodeSegment(value: string): string {
  return [...value]
    .map((ch) => {
      const code = ch.charCodeAt(0);
      if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff)
        return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
      return encodeURIComponent(ch);
    })
    .join('');
}
export function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`)
    .join('&');
}

export const get = (o: Json, path: string) => path.split('.').reduce<any>((v, k) => v?.[k], o);
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

export type Mutation =
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
export const KINDS: Mutation[] = [
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
/** One fuzz case: a base (by index), a mutation kind and the numbers and text that pick its details. */
export const caseArbitrary = fc.record({
  base: fc.nat(),
  kind: fc.constantFrom<Mutation>(...KINDS),
  a: fc.nat(),
  b: fc.nat(),
  junk: fc.string({ maxLength: 20 }),
});
export type FuzzCase = { base: number; kind: Mutation; a: number; b: number; junk: string };

/** The valid request of every route the fuzz reaches, for a drop (opened, with one pre-order) and that pre-order. */
export function fuzzBases(dropId: string, preOrderId: string): Base[] {
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
  return [
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
      name: 'dead letters',
      method: 'GET',
      path: '/messaging/dead-letters/{consumer}',
      params: { consumer: { valid: 'fulfillment', invalid: ['Fulfillment', '-x', 'x'.repeat(100)] } },
      query: { limit: '5', pending: 'true', reason: 'rejected' },
      badQuery: { limit: ['0', '101', 'ten'], after: ['0', '-1', 'abc'], pending: ['yes'], reason: ['rejected:', 'dead'], unknown: ['1'] },
    },
    {
      name: 'redrive dead letters',
      method: 'POST',
      path: '/messaging/dead-letters/{consumer}/redrive',
      params: { consumer: { valid: 'analytics', invalid: ['Analytics', '-x'] } },
      body: { ids: ['987654'] },
      required: ['ids'],
      fields: ['ids', 'ids.0'],
      bad: { ids: [[], ['0'], ['1e3'], Array.from({ length: 101 }, (_, i) => String(i + 1))], 'ids.0': ['0', '-1', ''] },
    },
    {
      name: 'dismiss dead letters',
      method: 'POST',
      path: '/messaging/dead-letters/{consumer}/dismiss',
      params: { consumer: { valid: 'fulfillment', invalid: ['FULFILLMENT', 'x'.repeat(70)] } },
      body: { ids: ['876543'] },
      required: ['ids'],
      fields: ['ids', 'ids.0'],
      bad: { ids: [[], ['01'], [' 1']], 'ids.0': ['0', 'x'] },
    },
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
}

/** One mutated request: what the fuzz sends (the mutation `chosen` may differ from the case's kind: see `has`). */
export interface FuzzRequest {
  base: Base;
  chosen: Mutation;
  body: Json | undefined;
  params: Record<string, string>;
  headers: Record<string, string>;
  query: Record<string, string>;
  raw?: string;
  contentType?: string;
  rawPath?: string;
  /** A path parameter sent as written, not percent-encoded again. */
  badSegment?: { key: string; value: string };
}

/** Applies one case's mutation to a copy of its base's valid request. */
export function mutate(bases: Base[], { base: bi, kind, a, b, junk }: FuzzCase): FuzzRequest {
  const base = bases[bi % bases.length];
  const body: Json | undefined = base.body ? structuredClone(base.body) : undefined;
  const params = Object.fromEntries(Object.entries(base.params).map(([k, v]) => [k, v.valid]));
  const headers: Record<string, string> = { ...(base.headers ?? {}) };
  const query = { ...(base.query ?? {}) };
  let raw: string | undefined;
  let contentType: string | undefined;
  let rawPath: string | undefined;
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
      if (a % 3 === 0 || keys.length === 0) rawPath = [`/${name}`, `/docs/${name}`, `/docs/${name}/x`, `/drops/${name}/${name}`][a % 4];
      else params[keys[a % keys.length]] = name;
      break;
    }
  }
  return { base, chosen, body, params, headers, query, raw, contentType, rawPath, badSegment };
}
