import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ensureEventStoreSchema, PostgresEventStore } from '@dropline/event-store';
import { createEngine } from '../../src/app';
import { AppConfig, CUSTOMER_ID, loadConfig, ManualClock, policyForUrl } from '@dropline/platform';
import type { Databases } from '@dropline/platform';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase } from '../../../../test/support/postgres';
import { mintTestToken, TEST_SUBJECTS, TestRole, testAuthEnv } from '../../../../libs/platform/src/testing/test-auth';

export interface TestEngine {
  app: NestFastifyApplication;
  url: string;
  clock: ManualClock;
  databases: Databases;
  config: AppConfig;
  /**
   * fetch against the engine with JSON in and out. Unless `headers` carries an
   * Authorization header or `auth` says otherwise, a token for a role the route allows is
   * attached (see defaultToken): tests written before access control keep working.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    auth?: RequestAuth,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** A bearer token the engine trusts. */
  token(role: TestRole, sub?: string): string;
  close(): Promise<void>;
}

/** `{ token: null }` sends no token; `{ token }` sends that one; `{ role, sub }` mints one. */
export interface RequestAuth {
  token?: string | null;
  role?: TestRole;
  sub?: string;
}

const ROLE_PREFERENCE: TestRole[] = ['ops', 'analyst', 'service', 'till', 'customer'];

/**
 * The token a test gets by default for a request: ops for public routes (they answer the staff
 * view to staff and the storefront view to anyone else: pass `{ token: null }` to read as an
 * anonymous caller); for placing a
 * pre-order, the customer named in the body if it is a well-formed customerId (a customer
 * token's subject must be one), or the till on popup/kiosk; otherwise the
 * first of ops, analyst, service, till, customer that the route's policy allows.
 */
export function defaultToken(method: string, path: string, body?: unknown): string | undefined {
  const match = policyForUrl(method, path);
  if (!match) return mintTestToken('ops', TEST_SUBJECTS.ops);
  if ('public' in match.policy) return mintTestToken('ops', TEST_SUBJECTS.ops);
  const { roles, owner } = match.policy;
  if (owner === 'body') {
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
    }
    const b = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if ((b.channel === 'popup' || b.channel === 'kiosk') && roles.includes('till')) return mintTestToken('till', TEST_SUBJECTS.till);
    return mintTestToken(
      'customer',
      typeof b.customerId === 'string' && CUSTOMER_ID.test(b.customerId) ? b.customerId : TEST_SUBJECTS.customer,
    );
  }
  const role = ROLE_PREFERENCE.find((r) => roles.includes(r)) ?? 'ops';
  return mintTestToken(role, TEST_SUBJECTS[role]);
}

export interface TestEngineOptions {
  store?: 'pglite' | 'postgres';
  now?: string;
  env?: Record<string, string>;
}

/**
 * A real engine on a real port over a database of its own: PGlite loaded from the
 * per-run template, or a fresh PostgreSQL database. Configuration is built explicitly:
 * nothing leaks in from the test process's environment.
 */
export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    SCHEDULER_INTERVAL_MS: '3600000',
    ...testAuthEnv(),
    ...(options.env ?? {}),
  });
  const store = options.store ?? 'pglite';
  // The store is built here rather than by openDatabases, so the settings it reads are passed on by hand.
  const storeOptions = { maxAppendBytes: config.eventStoreMaxAppendBytes };
  let databases: Databases;
  let dispose: () => Promise<void>;
  if (store === 'pglite') {
    const db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    databases = { store: new PostgresEventStore(db.pool, storeOptions), readModels: db.pool, embedded: true, close: async () => undefined };
    dispose = () => db.close();
  } else {
    const db = await createTestPostgresDatabase('engine');
    await ensureEventStoreSchema(db.pool);
    databases = {
      store: new PostgresEventStore(db.pool, storeOptions),
      readModels: db.pool,
      embedded: false,
      close: async () => undefined,
    };
    dispose = () => db.drop();
  }
  const clock = new ManualClock(new Date(options.now ?? '2026-11-20T10:00:00Z'));
  const app = await createEngine(config, { databases, clock });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    url,
    clock,
    databases,
    config,
    token: (role, sub) => mintTestToken(role, sub ?? TEST_SUBJECTS[role]),
    async request(method, path, body, headers = {}, auth = {}) {
      const hasAuthorization = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
      let token: string | undefined | null;
      if (hasAuthorization) token = undefined;
      else if (auth.token !== undefined) token = auth.token;
      else if (auth.role) token = mintTestToken(auth.role, auth.sub ?? TEST_SUBJECTS[auth.role]);
      else token = defaultToken(method, path, body);
      const response = await fetch(url + path, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* keep text */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await databases.store.close();
      await app.close();
      await dispose();
    },
  };
}

/** The drop body from the product brief, accepted as is. */
export function harbourHoodie(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Harbour Hoodie, run 1',
    city: 'Bristol',
    currency: 'GBP',
    channels: ['web', 'popup'],
    variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 50 }],
    priceTiers: [{ untilUnitsSold: 10, unitPrice: 2500 }, { untilUnitsSold: 40, unitPrice: 3000 }, { unitPrice: 3500 }],
    basketTiers: [{ minQuantity: 3, percentOff: 10 }],
    window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
    earlyAccess: { opensAt: '2026-11-30T10:00:00Z', audience: 'repeat-customers' },
    perCustomerLimit: 4,
    minimumOrderQuantity: 20,
    production: { microfactoryId: 'mf-bristol-1', leadTimeDays: 14 },
    pickupLocations: [{ locationId: 'popup-harbourside', discountPercent: 10 }],
    returnWindowDays: 14,
    ...overrides,
  };
}

/** Places `count` pre-orders of 2 × HH-M-NAVY by customers c-0, c-1, … (idempotency keys `<keyPrefix><i>`), each answered 201. */
export async function placePairs(engine: TestEngine, dropId: string, count: number, keyPrefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: `c-${i}`, sku: 'HH-M-NAVY', quantity: 2, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': `${keyPrefix}${i}` },
    );
    if (r.status !== 201) throw new Error(`pre-order ${i} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
}
