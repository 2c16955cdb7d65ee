import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { registeredRoutes } from '@dropline/platform';
import { defaultToken, harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * Odd input answers a 4xx problem naming the field — never a 500, never a silent accept —
 * and appends nothing (issue #10, findings 6 and 8; docs/security.md "Input limits").
 */
describe('odd input', () => {
  let engine: TestEngine;
  let dropId: string;
  let warnings: string[] = [];
  const SCHEDULED_AT = '2026-11-20T10:00:00Z';

  const eventCount = async (): Promise<number> =>
    (await engine.databases.readModels.query(`select count(*)::int as n from events`)).rows[0].n;
  /** Runs `act`, and checks that no event was appended meanwhile. */
  const appendsNothing = async (act: () => Promise<void>) => {
    const before = await eventCount();
    await act();
    expect(await eventCount()).toBe(before);
  };
  const expectProblem = (res: { status: number; body: any; headers: Headers }, status: number, code: string, field?: string) => {
    const context = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
    expect({ status: res.status, code: res.body?.code, context }).toEqual({ status, code, context });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if (field !== undefined) expect(res.body.field).toBe(field);
  };
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  beforeAll(async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning');
    engine = await startTestEngine({ now: SCHEDULED_AT });
    warnings = emitWarning.mock.calls.map((args) => args.map(String).join(' '));
    emitWarning.mockRestore();
    const created = await engine.request('POST', '/drops', harbourHoodie());
    expect(created.status).toBe(201);
    dropId = created.body.dropId;
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('starts without a Fastify deprecation warning (FSTDEP022: router options belong in routerOptions)', () => {
    expect(warnings.filter((w) => /FST/.test(w))).toEqual([]);
  });

  it('refuses NUL and other control characters in GET /drops?city= (anonymous) with 400 naming city', async () => {
    await appendsNothing(async () => {
      for (const city of ['%00', 'Bri%00stol', '%0A', '%1B%5B31m', '%7F']) {
        const res = await engine.request('GET', `/drops?city=${city}`, undefined, {}, { token: null });
        expectProblem(res, 400, 'VALIDATION.FAILED', 'city');
      }
      expect((await engine.request('GET', '/drops?city=Bristol', undefined, {}, { token: null })).status).toBe(200);
    });
  });

  it('answers /docs/<Object.prototype name> with a 404 problem (anonymous)', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      const res = await engine.request('GET', `/docs/${name}`, undefined, {}, { token: null });
      expectProblem(res, 404, 'ROUTE.NOT_FOUND');
    }
    expect((await engine.request('GET', '/docs/swagger-ui.css', undefined, {}, { token: null })).status).toBe(200);
  });

  it('refuses a history cursor whose revisions are not safe non-negative integers with 400 naming after', async () => {
    const cursor = (value: string) => Buffer.from(value).toString('base64url');
    await appendsNothing(async () => {
      for (const bad of [
        '{"drop":1e20}',
        '{"drop":-1}',
        '{"drop":1.5}',
        '{"drop":"3"}',
        '{"drop":9007199254740992}',
        '{"drop":null}',
        '[]',
        '[1]',
        '{"__proto__":1}',
        '{"drop":0,"x":1}',
      ]) {
        const res = await engine.request('GET', `/drops/${dropId}/history?after=${cursor(bad)}`);
        expectProblem(res, 400, 'VALIDATION.FAILED', 'after');
      }
      // A real cursor still pages.
      const first = await engine.request('GET', `/drops/${dropId}/history?limit=1`);
      expect(first.status).toBe(200);
      expect((await engine.request('GET', `/drops/${dropId}/history?after=${cursor('{"drop":0}')}`)).status).toBe(200);
      // An empty cursor is the start: a drop that does not exist is still a 404.
      expectProblem(await engine.request('GET', `/drops/no-such-drop/history?after=${cursor('{}')}`), 404, 'DROP.NOT_FOUND');
    });
  });

  it('refuses a visits element that is not an object with 400 naming the element', async () => {
    const visit = { visitorId: 'c-1', channel: 'web', at: '2026-11-20T10:00:00Z' };
    await appendsNothing(async () => {
      for (const [visits, field] of [
        [[[]], 'visits[0]'],
        [[[visit]], 'visits[0]'],
        [[visit, []], 'visits[1]'],
        [[5], 'visits[0]'],
        [[visit, null], 'visits[1]'],
      ] as const) {
        const res = await engine.request('POST', `/drops/${dropId}/visits`, { visits });
        expectProblem(res, 400, 'VALIDATION.FAILED', field);
      }
    });
  });

  it('refuses JSON nested deeper than 32 before parsing it (400 REQUEST.TOO_DEEP), and still parses 32', async () => {
    const path = `/drops/${dropId}/cancel`;
    await appendsNothing(async () => {
      for (const depth of [33, 3_000, 100_000]) {
        // `{"reason":` is one level: the array inside makes the rest.
        const res = await engine.request('POST', path, `{"reason":${nested(depth - 1)}}`);
        expectProblem(res, 400, 'REQUEST.TOO_DEEP');
        expect(res.body.maxDepth).toBe(32);
      }
      // Brackets inside strings do not count; 32 levels reach validation, which names the field.
      expectProblem(await engine.request('POST', path, `{"reason":${nested(31)}}`), 400, 'VALIDATION.FAILED', 'reason');
      expectProblem(await engine.request('POST', path, JSON.stringify({ reason: '[{'.repeat(1000), x: 1 })), 400, 'VALIDATION.FAILED', 'x');
      // Unterminated, 240 KB of `[`: refused at the 33rd byte instead of costing seconds of CPU.
      const started = performance.now();
      expectProblem(await engine.request('POST', path, '['.repeat(240 * 1024)), 400, 'REQUEST.TOO_DEEP');
      expect(performance.now() - started).toBeLessThan(1_000);
      // The other body errors keep their codes.
      expectProblem(await engine.request('POST', path, '{"reason":'), 400, 'REQUEST.INVALID_JSON');
      expectProblem(await engine.request('POST', path, ''), 400, 'REQUEST.INVALID_JSON');
      expectProblem(await engine.request('POST', path, '{"reason":"x","__proto__":{"admin":true}}'), 400, 'REQUEST.INVALID_JSON');
      expectProblem(await engine.request('POST', path, JSON.stringify({ reason: 'x'.repeat(300 * 1024) })), 413, 'REQUEST.BODY_TOO_LARGE');
      // Text PostgreSQL cannot store (NUL, unpaired surrogates) is refused before it reaches an event.
      for (const escape of ['\\u0000', '\\ud800', 'x\\udfffy', '\\ud83d\\u0041']) {
        const res = await engine.request('POST', path, `{"reason":"${escape}"}`);
        expectProblem(res, 400, 'VALIDATION.FAILED');
        expect(res.body.field).toBe('reason');
      }
    });
    // A surrogate pair is fine.
    const state = await engine.request('GET', `/drops/${dropId}`);
    expect(state.body.status).toBe('scheduled');
  });

  it('refuses query parameters a route does not declare, on every route, with 400 naming the parameter', async () => {
    const params: Record<string, string> = {
      dropId,
      preOrderId: `${dropId}.po.abc123`,
      runId: `${dropId}.run.2`,
      returnId: `${dropId}.po.abc123.ret.1`,
      customerId: 'customer-test',
      name: 'drops',
      eventId: '00000000-0000-4000-8000-000000000000',
      phase: 'members',
      consumer: 'fulfillment',
    };
    const routes = [
      ...new Set(
        registeredRoutes(engine.app)
          .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'))
          .map((r) => `${r.method} ${r.url}`),
      ),
    ].sort();
    for (const named of [
      '/drops/:dropId/inventory',
      '/drops/:dropId/restock-thresholds',
      '/drops/:dropId/summary',
      '/drops/:dropId/history',
      '/drops/:dropId/members',
      '/drops',
      '/customers/:customerId/pre-orders',
      '/fulfillment/tasks',
      '/admin/projections',
      '/analytics/drops/:dropId',
      '/messaging/status',
    ]) {
      expect(routes).toContain(`GET ${named}`);
    }
    const wrong: string[] = [];
    await appendsNothing(async () => {
      for (const route of routes) {
        const [method, pattern] = route.split(' ');
        const path = pattern.replace(/:([A-Za-z]+)/g, (_, p: string) => params[p]);
        for (const query of ['bogus=1', 'limit=5&bogus=', '__proto__=1', 'constructor=x']) {
          const field = query.includes('bogus') ? 'bogus' : query.split('=')[0];
          // GET /drops, history, effects and the task lists declare a limit; elsewhere `limit` itself is the unknown one.
          const declaresLimit =
            /^GET \/drops(\/:dropId\/(history|members))?$|pre-orders$|\/effects$|dead-letters\/:consumer$|\/fulfillment\/tasks(\/late)?$/.test(
              route,
            ) && route.startsWith('GET');
          const expected = query.startsWith('limit') && !declaresLimit ? 'limit' : field;
          const body = method === 'GET' ? undefined : {};
          const res = await engine.request(method, `${path}?${query}`, body, {}, { token: defaultToken(method, path, body) ?? null });
          const ok =
            res.status === 400 &&
            res.body?.code === 'VALIDATION.FAILED' &&
            res.body?.field === expected &&
            res.headers.get('content-type')?.startsWith('application/problem+json');
          if (!ok) wrong.push(`${route}?${query}: ${res.status} ${res.body?.code ?? ''} ${res.body?.field ?? ''}`);
        }
      }
    });
    expect(wrong).toEqual([]);
    // Declared parameters still work, and are still validated.
    expect((await engine.request('GET', `/drops/${dropId}/history?limit=5`)).status).toBe(200);
    expectProblem(await engine.request('GET', '/drops?limit=1&limit=2'), 400, 'VALIDATION.FAILED', 'limit');
    expectProblem(await engine.request('GET', '/fulfillment/tasks?dropId=a%00'), 400, 'VALIDATION.FAILED', 'dropId');
    expectProblem(await engine.request('GET', '/fulfillment/tasks?limit=0'), 400, 'VALIDATION.FAILED', 'limit');
    expectProblem(await engine.request('GET', '/fulfillment/tasks/late?limit=1001'), 400, 'VALIDATION.FAILED', 'limit');
    const forged = Buffer.from(JSON.stringify(['not a date', 'x.po.1'])).toString('base64url');
    for (const after of ['zzz', forged])
      expectProblem(await engine.request('GET', `/fulfillment/tasks?after=${after}`), 400, 'VALIDATION.FAILED', 'after');
  });

  it('refuses a body on a route that takes none (anything but {}), naming its first field, and changes nothing', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie());
    const target = created.body.dropId as string;
    await appendsNothing(async () => {
      expectProblem(await engine.request('POST', `/drops/${target}/open`, { a: 1 }), 400, 'VALIDATION.FAILED', 'a');
      for (const body of [null, [], '"x"', 1])
        expectProblem(await engine.request('POST', `/drops/${target}/announce`, body), 400, 'VALIDATION.FAILED', 'body');
    });
    expect((await engine.request('POST', `/drops/${target}/open`, {})).status).toBe(200);
  });

  it('answers other odd paths and numbers with problems too: bad percent-encoding, over-long parameters, non-decimal integers', async () => {
    await appendsNothing(async () => {
      for (const path of ['/drops/%E0%A4%A', '/drops/%', '/customers/%FF/pre-orders']) {
        expectProblem(await engine.request('GET', path, undefined, {}, { token: null }), 400, 'REQUEST.INVALID_URL');
      }
      expectProblem(await engine.request('GET', `/drops/${'a'.repeat(301)}`, undefined, {}, { token: null }), 414, 'REQUEST.URL_TOO_LONG');
      expect((await engine.request('GET', `/drops/${'a'.repeat(300)}`, undefined, {}, { token: null })).status).not.toBe(414);
      // `@Type(() => Number)` read '' and ' ' as 0, 0x10 as 16 and 1e2 as 100.
      for (const [path, field] of [
        [`/drops/${dropId}?revision=`, 'revision'],
        [`/drops/${dropId}?revision=%20`, 'revision'],
        [`/drops/${dropId}?revision=0x0`, 'revision'],
        ['/drops?limit=1e2', 'limit'],
        ['/drops?offset=0x10', 'offset'],
        [`/drops/${dropId}/history?limit=1e1`, 'limit'],
      ]) {
        expectProblem(await engine.request('GET', path), 400, 'VALIDATION.FAILED', field);
      }
      // Time travel is for staff (ops, analyst): anonymously it is refused before it is read.
      expect((await engine.request('GET', `/drops/${dropId}?revision=0`, undefined, {}, { role: 'analyst' })).status).toBe(200);
      expect((await engine.request('GET', `/drops/${dropId}?revision=0`, undefined, {}, { token: null })).status).toBe(401);
      expect((await engine.request('GET', '/drops?limit=100&offset=0', undefined, {}, { token: null })).status).toBe(200);
    });
  });

  it('stores a definition instant given without seconds with them (RFC 3339, as the events publish it); one without offset is refused', async () => {
    const hoodie = harbourHoodie() as { window: { opensAt: string; closesAt: string } } & Record<string, unknown>;
    const created = await engine.request('POST', '/drops', {
      ...hoodie,
      earlyAccess: undefined,
      window: { opensAt: '2026-12-10T10:00Z', closesAt: '2026-12-20T10:00+02:00' },
      phases: [{ name: 'early', opensAt: '2026-11-25T09:30+01:00', audience: 'members' }],
    });
    expect(created.status).toBe(201);
    const [scheduled] = await engine.databases.store.readStream(`drop-${created.body.dropId}`);
    expect(scheduled.data.definition).toMatchObject({
      window: { opensAt: '2026-12-10T10:00:00Z', closesAt: '2026-12-20T10:00:00+02:00' },
      phases: [{ opensAt: '2026-11-25T09:30:00+01:00' }],
    });
    await appendsNothing(async () => {
      const res = await engine.request('POST', '/drops', { ...hoodie, window: { ...hoodie.window, opensAt: '2026-12-10T10:00:00' } });
      expectProblem(res, 422, 'DROP.INVALID_DEFINITION', 'window.opensAt');
      expect(res.body.detail).toContain('RFC 3339');
    });
  });

  it('takes a drop stored by an earlier engine with minutes-only instants: the same definition PUT back changes nothing', async () => {
    const oldId = `old-${randomUUID().slice(0, 8)}`;
    const definition = { ...harbourHoodie(), window: { opensAt: '2026-12-01T10:00Z', closesAt: '2026-12-08T10:00Z' } };
    await engine.databases.store.appendToStream(
      `drop-${oldId}`,
      [
        {
          eventId: randomUUID(),
          type: 'DropScheduled',
          schemaVersion: EVENT_SCHEMA_VERSIONS.DropScheduled,
          data: { dropId: oldId, definition, scheduledAt: SCHEDULED_AT },
          metadata: { correlationId: randomUUID(), causationId: null, actor: 'ops-test', occurredAt: SCHEDULED_AT, traceparent: '' },
        },
      ],
      'no_stream',
    );
    const view = await engine.request('GET', `/drops/${oldId}`, undefined, {}, { role: 'ops' });
    expect(view.body.definition.window).toEqual({ opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' });
    await appendsNothing(async () => {
      expect((await engine.request('PUT', `/drops/${oldId}`, definition)).status).toBe(200);
      expect((await engine.request('PUT', `/drops/${oldId}`, view.body.definition)).status).toBe(200);
    });
  });

  it('records visits only for public drops, on their channels, at plausible times', async () => {
    const till = { role: 'till' as const };
    const visit = (over: Record<string, unknown> = {}) => ({ visitorId: 'c-1', channel: 'popup', at: '2026-11-20T10:01:00Z', ...over });
    engine.clock.set('2026-11-21T10:00:00Z');
    await appendsNothing(async () => {
      expectProblem(await engine.request('POST', '/drops/no-such-drop/visits', { visits: [visit()] }, {}, till), 404, 'DROP.NOT_FOUND');
      // Not announced yet: the answer of a missing drop, whatever the visits, to a till and to
      // the storefront's service token alike (neither its channels nor its scheduling time).
      for (const caller of [till, { role: 'service' as const }]) {
        for (const visits of [[visit()], [visit({ channel: 'kiosk' })], [visit({ at: '1970-01-01T00:00:00Z' })]]) {
          const res = await engine.request('POST', `/drops/${dropId}/visits`, { visits }, {}, caller);
          expectProblem(res, 404, 'DROP.NOT_FOUND');
          expect(JSON.stringify(res.body)).not.toMatch(/kiosk|popup|web|2026-11-20/);
        }
      }
    });
    expect((await engine.request('POST', `/drops/${dropId}/announce`, {})).status).toBe(200);
    await appendsNothing(async () => {
      expectProblem(
        await engine.request('POST', `/drops/${dropId}/visits`, { visits: [visit(), visit({ channel: 'kiosk' })] }, {}, till),
        422,
        'VISIT.CHANNEL_NOT_ALLOWED',
        'visits[1].channel',
      );
      for (const [at, field] of [
        ['9999-12-31T23:59:59Z', 'visits[0].at'],
        ['2026-11-21T10:06:00Z', 'visits[0].at'], // 6 minutes ahead of the clock
        ['2026-11-20T09:59:59Z', 'visits[0].at'], // before the drop was scheduled
        ['1970-01-01T00:00:00Z', 'visits[0].at'],
      ]) {
        expectProblem(
          await engine.request('POST', `/drops/${dropId}/visits`, { visits: [visit({ at })] }, {}, till),
          422,
          'VISIT.AT_OUT_OF_RANGE',
          field,
        );
      }
    });
    const before = await eventCount();
    const ok = await engine.request(
      'POST',
      `/drops/${dropId}/visits`,
      { visits: [visit(), visit({ at: '2026-11-21T10:04:00Z', channel: 'web' })] },
      {},
      till,
    );
    expect(ok).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(await eventCount()).toBe(before + 1);
  });

  it('looks up a drop this engine has not cached: not public, then public within a second of another engine announcing it', async () => {
    // Scheduled and announced by "another engine": appended straight to the store, so this
    // engine's writer never saw them, and the drops read model may not have them yet.
    const definition = { ...harbourHoodie(), channels: ['web'] };
    const appendByOtherEngine = (
      dropId: string,
      type: 'DropScheduled' | 'DropAnnounced',
      data: Record<string, unknown>,
      expected: 'no_stream' | number,
    ) =>
      engine.databases.store.appendToStream(
        `drop-${dropId}`,
        [
          {
            eventId: randomUUID(),
            type,
            schemaVersion: EVENT_SCHEMA_VERSIONS[type],
            data,
            metadata: {
              correlationId: randomUUID(),
              causationId: null,
              actor: 'ops-test',
              occurredAt: '2026-11-21T09:00:00Z',
              traceparent: '00-00000000000000000000000000000001-0000000000000001-01',
            },
          },
        ],
        expected,
      );
    const scheduleAndAnnounce = async (dropId: string) => {
      await appendByOtherEngine(dropId, 'DropScheduled', { dropId, definition, scheduledAt: '2026-11-21T09:00:00Z' }, 'no_stream');
      await appendByOtherEngine(dropId, 'DropAnnounced', { dropId, announcedAt: '2026-11-21T09:10:00Z' }, 0);
    };
    const till = { role: 'till' as const };
    const visit = (dropId: string, v: { channel: string; at: string }) =>
      engine.request('POST', `/drops/${dropId}/visits`, { visits: [{ visitorId: 'v', ...v }] }, {}, till);
    const otherId = `other-${randomUUID().slice(0, 8)}`;
    await appendByOtherEngine(otherId, 'DropScheduled', { dropId: otherId, definition, scheduledAt: '2026-11-21T09:00:00Z' }, 'no_stream');
    engine.clock.set('2026-11-21T10:00:00Z');
    await appendsNothing(async () => {
      expectProblem(await visit(otherId, { channel: 'web', at: '2026-11-21T09:30:00Z' }), 404, 'DROP.NOT_FOUND');
    });
    await appendByOtherEngine(otherId, 'DropAnnounced', { dropId: otherId, announcedAt: '2026-11-21T09:10:00Z' }, 0);
    // "Not public" is kept for a second (a till probing in a loop), then the announcement shows.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await appendsNothing(async () => {
      expectProblem(
        await visit(otherId, { channel: 'popup', at: '2026-11-21T09:30:00Z' }),
        422,
        'VISIT.CHANNEL_NOT_ALLOWED',
        'visits[0].channel',
      );
      expectProblem(await visit(otherId, { channel: 'web', at: '2026-11-21T08:59:00Z' }), 422, 'VISIT.AT_OUT_OF_RANGE', 'visits[0].at');
    });
    expect((await visit(otherId, { channel: 'web', at: '2026-11-21T09:30:00Z' })).status).toBe(202);

    // The drops read model cannot be read: the drop's state answers, never a 500.
    const unreadId = `unread-${randomUUID().slice(0, 8)}`;
    await scheduleAndAnnounce(unreadId);
    const readModels = engine.databases.readModels as { query: (...args: unknown[]) => Promise<unknown> };
    const query = readModels.query.bind(readModels);
    const failing = jest.spyOn(readModels, 'query').mockImplementation((...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : '';
      return text.includes('rm_drop_summary') ? Promise.reject(new Error('read models down')) : query(...args);
    });
    try {
      expect((await visit(unreadId, { channel: 'web', at: '2026-11-21T09:30:00Z' })).status).toBe(202);
      expect(failing.mock.calls.some(([text]) => String(text).includes('rm_drop_summary'))).toBe(true);
    } finally {
      failing.mockRestore();
    }
  });
});
