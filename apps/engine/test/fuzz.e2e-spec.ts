import fc from 'fast-check';
import { describeWithPostgres } from '../../../test/support/postgres';
import { caseArbitrary, encodeSegment, fuzzBases, mutate, queryString, type Base } from './support/fuzz-cases';
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
  /**
   * The tables once the engine's readers have taken in every event: first until the log shows them
   * all (on PostgreSQL, below the cluster-wide safe horizon, which another suite's open transaction
   * may hold back), then until two snapshots agree.
   */
  const settled = async () => {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const { rows } = await engine.databases.readModels.query(
        `select count(*)::int as n from events where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`,
      );
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error('the log never showed every event');
    }
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
    bases = fuzzBases(dropId, preOrderId);
  });
  afterAll(async () => {
    await engine?.close();
  });

  it(`answers ${runs} one-mutation-away requests with 4xx validation problems and changes nothing`, async () => {
    const before = await settled();
    const eventsBefore = (await engine.databases.readModels.query(`select count(*)::int as n from events`)).rows[0].n;
    const statuses = new Map<string, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (fuzzCase) => {
        const { base, chosen, body, params, headers, raw, contentType, rawPath, badSegment, query } = mutate(bases, fuzzCase);
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
