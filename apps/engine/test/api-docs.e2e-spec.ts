import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Browser } from 'playwright-core';
import { BEARER_SCHEME, policyFor, registeredRoutes, ROLES_EXTENSION } from '@dropline/platform';
import { KafkaPublisher, TableDeadLetterSink } from '@dropline/messaging';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';
import { isMockCluster, kafkaBrokers, testKafka, uniqueTopic } from '../../../test/support/kafka';
import { chromiumMissing, itWithChromium, launchChromium } from '../../../libs/platform/src/testing/chromium';

/**
 * The OpenAPI document at /docs-json is the contract a downstream service starts from: it must be
 * valid, say who may call each route (from ROUTE_POLICY, the table the guard enforces) and how
 * routes refuse (problem+json), and Swagger UI at /docs must be able to call a protected route with
 * a token typed into "Authorize".
 */

type Operation = {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, unknown> }>;
  [ROLES_EXTENSION]?: string[];
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

const routeOf = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

function operations(doc: Document): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

describe('the OpenAPI document', () => {
  let engine: TestEngine;
  let doc: Document;

  beforeAll(async () => {
    engine = await startTestEngine();
    const response = await fetch(`${engine.url}/docs-json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as Document;
  });
  afterAll(() => engine.close());

  it('is valid OpenAPI, and every security requirement names a scheme it defines', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    // A requirement naming an undefined scheme is valid JSON Schema-wise, but no client can honour it
    // (the document once referenced `bearer` without defining it, and Swagger UI had no Authorize).
    expect(doc.components.securitySchemes).toEqual({ [BEARER_SCHEME]: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    for (const { method, path, operation } of operations(doc))
      for (const requirement of operation.security ?? [])
        for (const scheme of Object.keys(requirement))
          expect({ route: `${method} ${path}`, scheme }).toEqual({ route: `${method} ${path}`, scheme: BEARER_SCHEME });
  });

  it('documents every served route, with the roles the guard admits and the problems it answers', () => {
    const served = registeredRoutes(engine.app).filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs'));
    const documented = operations(doc).map(({ method, path }) => `${method} ${routeOf(path)}`);
    expect(documented.sort()).toEqual(served.map((r) => `${r.method} ${r.url}`).sort());

    for (const { method, path, operation } of operations(doc)) {
      const route = `${method} ${routeOf(path)}`;
      const policy = policyFor(method, routeOf(path));
      expect({ route, policy: policy !== undefined }).toEqual({ route, policy: true });
      const statuses = Object.keys(operation.responses);
      if ('public' in policy!) {
        expect({ route, security: operation.security, roles: operation[ROLES_EXTENSION] }).toEqual({
          route,
          security: [{}, { [BEARER_SCHEME]: [] }],
          roles: undefined,
        });
        expect({ route, statuses }).toEqual({ route, statuses: expect.not.arrayContaining(['403']) });
      } else {
        expect({ route, security: operation.security, roles: operation[ROLES_EXTENSION] }).toEqual({
          route,
          security: [{ [BEARER_SCHEME]: [] }],
          roles: [...policy!.roles],
        });
        expect({ route, statuses }).toEqual({ route, statuses: expect.arrayContaining(['403']) });
      }
      expect({ route, statuses }).toEqual({ route, statuses: expect.arrayContaining(['401', '429', '4XX', '5XX']) });
      for (const status of statuses.filter((s) => /^[45]/.test(s)))
        expect({ route, status, content: operation.responses[status].content }).toEqual({
          route,
          status,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        });
    }
  });

  it('answers as it documents: anonymous calls get 401 exactly where a token is required', async () => {
    const answers: Array<{ route: string; requiresToken: boolean; status: number; code?: string }> = [];
    for (const { method, path, operation } of operations(doc)) {
      const url = path.replace(/\{[^}]+\}/g, 'x-1');
      const response = await fetch(`${engine.url}${url}`, { method });
      const body = (await response.json().catch(() => undefined)) as { code?: string } | undefined;
      const requiresToken = !operation.security!.some((requirement) => Object.keys(requirement).length === 0);
      answers.push({ route: `${method} ${path}`, requiresToken, status: response.status, code: body?.code });
    }
    for (const answer of answers) {
      if (answer.requiresToken) expect(answer).toEqual({ ...answer, status: 401, code: 'AUTH.UNAUTHENTICATED' });
      else expect({ ...answer, refused: [401, 403].includes(answer.status) }).toEqual({ ...answer, refused: false });
    }
    expect(answers.filter((a) => !a.requiresToken).map((a) => a.route)).toEqual(
      expect.arrayContaining(['GET /health/live', 'GET /drops', 'GET /drops/{dropId}']),
    );
  });
});

/**
 * The document's schemas as a JSON Schema an answer must match exactly: every object that lists its
 * properties gets `additionalProperties: false` unless it says otherwise (so a field added to a view
 * without its DTO line fails), `nullable` allows null, and `#/components/…` references point into the
 * registered document.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') out[key] = value.replace(/^#/, 'openapi#');
    else if (key === 'example' || key === 'default')
      out[key] = value; // data, not schema
    else if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as object).map(([name, v]) => [name, closed(v)]));
    else out[key] = closed(value);
  }
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  // OpenAPI 3.0's `nullable` (beside a type, a $ref or an allOf) in JSON Schema's words.
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [{ type: 'null' }, out] };
  }
  return out;
}

describe('answers as documented', () => {
  let engine: TestEngine;
  let doc: Document;
  let ajv: Ajv;
  const checked = new Map<string, number[]>();

  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
    doc = (await (await fetch(`${engine.url}/docs-json`)).json()) as Document;
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi', components: closed(doc.components) });
  });
  afterAll(() => engine.close());

  /** Sends the request and checks the answer against the schema the document gives its route and status. */
  async function call(
    method: string,
    route: string,
    params: Record<string, string>,
    body?: unknown,
    headers: Record<string, string> = {},
    auth?: { token: null },
  ) {
    const url = route.replace(/\{([^}]+)\}/g, (_, name: string) => params[name]);
    return checkAnswer(method, route.split('?')[0], await engine.request(method, url, body, headers, auth));
  }

  /** Checks an answer against the schema the document gives its route and status. */
  function checkAnswer<T extends { status: number; body: any }>(method: string, route: string, res: T): T {
    const operation = doc.paths[route]?.[method.toLowerCase()];
    const documented = operation?.responses[String(res.status)] ?? operation?.responses[`${String(res.status)[0]}XX`];
    const content = (documented?.content ?? {}) as Record<string, { schema: unknown }>;
    const schema = (content['application/json'] ?? content['application/problem+json'])?.schema;
    expect({ route: `${method} ${route}`, status: res.status, documented: schema !== undefined }).toEqual({
      route: `${method} ${route}`,
      status: res.status,
      documented: true,
    });
    const validate = ajv.compile(closed(schema) as object);
    const valid = validate(res.body);
    expect({ route: `${method} ${route}`, status: res.status, errors: valid ? [] : validate.errors }).toEqual({
      route: `${method} ${route}`,
      status: res.status,
      errors: [],
    });
    checked.set(`${method} ${route}`, [...(checked.get(`${method} ${route}`) ?? []), res.status]);
    return res;
  }

  it('walks a drop through its life: every answer matches its documented schema, with no undocumented property', async () => {
    const definition = harbourHoodie({ earlyAccess: undefined, minimumOrderQuantity: 2 });
    const { dropId } = (await call('POST', '/drops', {}, definition)).body as { dropId: string };
    const drop = { dropId };
    await call('PUT', '/drops/{dropId}', drop, { ...definition, name: 'Harbour Hoodie, run 1 (revised)' });
    await call('POST', '/drops/{dropId}/members', drop, { customerIds: ['ana', 'ben'] });
    await call('DELETE', '/drops/{dropId}/members/{customerId}', { dropId, customerId: 'ben' });
    await call('POST', '/drops/{dropId}/announce', drop);
    await call('POST', '/drops/{dropId}/open', drop);
    await call('POST', '/drops/{dropId}/open', drop); // a repeat answers the same view
    /** A pre-order of HH-M-NAVY on the web, checked like every call; its id. */
    const place = async (key: string, customerId: string, quantity: number, fulfillment: object, extra: object = {}) =>
      (
        await call(
          'POST',
          '/drops/{dropId}/pre-orders',
          drop,
          { customerId, sku: 'HH-M-NAVY', quantity, channel: 'web', fulfillment, ...extra },
          { 'idempotency-key': key },
        )
      ).body.preOrderId as string;
    const atThePopup = { method: 'pickup', locationId: 'popup-harbourside' };
    const ship = await place('a-1', 'c-1', 2, { method: 'ship' });
    const pickup = await place('a-2', 'c-2', 1, atThePopup, { referralCode: 'ANA-1' });
    // Two more, handed over through the fulfillment app's task routes below.
    const viaTasks = [await place('t-1', 'c-4', 1, { method: 'ship' }), await place('t-2', 'c-5', 1, atThePopup)];
    const cancelled = await place('a-3', 'c-3', 1, { method: 'ship' });
    await place('a-4', 'c-1', 9, { method: 'ship' }); // over the limit: a problem
    await call('POST', '/pre-orders/{preOrderId}/cancel', { preOrderId: cancelled });
    await call('GET', '/drops/{dropId}', drop);
    for (const preOrderId of [ship, pickup])
      await call(
        'POST',
        '/pre-orders/{preOrderId}/payments',
        { preOrderId },
        { status: 'captured', amount: 2250, providerRef: `pi-${preOrderId.slice(-6)}` },
      );
    await call('POST', '/drops/{dropId}/close', drop);
    const run = { runId: `${dropId}.run.1` };
    await call('POST', '/production-runs/{runId}/start', run);
    await call('POST', '/production-runs/{runId}/complete', run, { producedBySku: { 'HH-M-NAVY': 5 }, rejectedBySku: { 'HH-M-NAVY': 0 } });
    await call('POST', '/pre-orders/{preOrderId}/dispatch', { preOrderId: ship }, { carrier: 'royal-mail', trackingNumber: 'RM1GB' });
    await call('POST', '/pre-orders/{preOrderId}/delivered', { preOrderId: ship });
    await call('POST', '/pre-orders/{preOrderId}/ready-for-pickup', { preOrderId: pickup });
    await call('POST', '/pre-orders/{preOrderId}/picked-up', { preOrderId: pickup });
    // The fulfillment consumer turns the completed run into tasks; the partner reports through them.
    const deadline = Date.now() + 20_000;
    const tasksOpen = async () => {
      const tasks = (await call('GET', '/fulfillment/tasks?dropId={dropId}', drop)).body as Array<{ preOrderId: string }>;
      return viaTasks.every((id) => tasks.some((t) => t.preOrderId === id));
    };
    while (!(await tasksOpen()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await call('GET', '/fulfillment/tasks/late', {});
    const [shipTask, pickupTask] = viaTasks.map((preOrderId) => ({ preOrderId }));
    await call('POST', '/fulfillment/tasks/{preOrderId}/dispatch', shipTask, { carrier: 'dpd', trackingNumber: 'DPD1' });
    await call('POST', '/fulfillment/tasks/{preOrderId}/delivered', shipTask);
    await call('POST', '/fulfillment/tasks/{preOrderId}/ready', pickupTask);
    await call('POST', '/fulfillment/tasks/{preOrderId}/picked-up', pickupTask);
    await call('POST', '/fulfillment/tasks/{preOrderId}/ready', shipTask); // a shipment has no pickup: a problem
    await call('POST', '/pre-orders/{preOrderId}/refund-requests', { preOrderId: pickup }, { reason: 'goodwill' });
    const { returnId } = (await call('POST', '/pre-orders/{preOrderId}/returns', { preOrderId: ship }, { reason: 'too-small' })).body as {
      returnId: string;
    };
    await call('POST', '/returns/{returnId}/receive', { returnId }, { condition: 'restockable' });
    const refunded = await call('POST', '/returns/{returnId}/refunds', { returnId }, { amount: 2000, providerRef: 're-1' });
    expect(refunded.body).toMatchObject({ status: 'refunded', providerRef: 're-1', refundedAmount: 2000 });
    await call('POST', '/drops/{dropId}/production-runs', drop, { unitsBySku: { 'HH-M-NAVY': 5 } });
    await call('GET', '/drops/{dropId}', drop);
    await call('POST', '/drops/{dropId}/complete', drop); // return windows still open: a problem
    const other = { dropId: (await call('POST', '/drops', {}, harbourHoodie())).body.dropId as string };
    await call('POST', '/drops/{dropId}/phases/{phase}/open', { ...other, phase: 'early-access' });
    await call('POST', '/drops/{dropId}/cancel', other, { reason: 'the microfactory closed' });

    engine.clock.set('2027-01-15T10:00:00Z');
    const done = await call('POST', '/drops/{dropId}/complete', drop);
    expect(done.body).toMatchObject({ status: 'completed' });

    // The read models (once the projection has caught up) and the audit trail of that drop.
    const readModels = ['/drops/{dropId}/inventory', '/drops/{dropId}/restock-thresholds'];
    for (const route of readModels) {
      const deadline = Date.now() + 20_000;
      while ((await call('GET', route, drop)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    await call('GET', '/customers/{customerId}/pre-orders', { customerId: 'c-1' });
    await call('GET', '/customers/{customerId}/pre-orders?limit=1', { customerId: 'c-2' });
    const history = (await call('GET', '/drops/{dropId}/history?limit=5', drop)).body as {
      events: Array<{ eventId: string; type: string }>;
      next: string;
    };
    await call('GET', `/drops/{dropId}/history?after=${history.next}&type=PreOrderPlaced`, drop);
    const scheduled = history.events.find((e) => e.type === 'DropScheduled')!;
    await call('GET', '/events/{eventId}', { eventId: scheduled.eventId });
    await call('GET', '/events/{eventId}/effects', { eventId: scheduled.eventId });
    await call('GET', '/events/{eventId}/effects?depth=3', { eventId: scheduled.eventId });

    // The staff and storefront views of the drops read model, the members list and analytics.
    for (const auth of [undefined, { token: null as null }]) {
      await call('GET', '/drops/{dropId}/summary', drop, undefined, {}, auth);
      await call('GET', '/drops?limit=1', {}, undefined, {}, auth);
    }
    await call('GET', '/drops/{dropId}/members', drop);
    await call('POST', '/drops/{dropId}/visits', drop, { visits: [{ visitorId: 'c-1', channel: 'web', at: '2027-01-15T09:00:00Z' }] });
    await call('GET', '/analytics/drops/{dropId}', drop);

    // Operability: health in both audiences, and the projections' status.
    for (const auth of [undefined, { token: null as null }]) {
      await call('GET', '/health/live', {}, undefined, {}, auth);
      await call('GET', '/health/ready', {}, undefined, {}, auth);
    }
    await call('GET', '/admin/projections', {});
    await call('GET', '/admin/projections/{name}', { name: 'drops' });
    await call('POST', '/admin/projections/{name}/rebuild', { name: 'drops' });
    await call('GET', '/admin/projections/{name}', { name: 'nope' }); // a problem
    expect((await call('GET', '/messaging/status', {})).body).toMatchObject({ mode: 'in-process' });
    // A consumer's dead letters: one the analytics consumer could not parse, listed, then redriven (refused again).
    await new TableDeadLetterSink(engine.databases.readModels, 'analytics').send({
      consumer: 'analytics',
      reason: 'unparseable',
      detail: 'value is not JSON',
      message: { key: dropId, value: Buffer.from('{oops'), headers: { ce_id: 'api-docs-dl', ce_type: 'dropline.preorder.placed.v1' } },
    });
    const letters = (await call('GET', '/messaging/dead-letters/{consumer}?pending=true', { consumer: 'analytics' })).body as {
      deadLetters: Array<{ id: string }>;
    };
    expect(letters.deadLetters).toHaveLength(1);
    const ids = [letters.deadLetters[0].id, '987654'];
    await call('POST', '/messaging/dead-letters/{consumer}/redrive', { consumer: 'analytics' }, { ids });
    const again = await call('POST', '/messaging/dead-letters/{consumer}/redrive', { consumer: 'analytics' }, { ids });
    expect(again.body).toMatchObject({
      results: [{ outcome: 'already-redriven', previousOutcome: 'dead-lettered' }, { outcome: 'not-found' }],
    });
    // Refused again, it waits as a new row: written off.
    const waiting = (await call('GET', '/messaging/dead-letters/{consumer}?pending=true', { consumer: 'analytics' })).body as {
      deadLetters: Array<{ id: string }>;
    };
    const written = await call(
      'POST',
      '/messaging/dead-letters/{consumer}/dismiss',
      { consumer: 'analytics' },
      { ids: [waiting.deadLetters[0].id] },
    );
    expect(written.body).toMatchObject({ results: [{ outcome: 'dismissed' }] });
    await call('GET', '/messaging/dead-letters/{consumer}?limit=1', { consumer: 'analytics' });
    await call('GET', '/messaging/dead-letters/{consumer}', { consumer: 'shipping' }); // a problem

    // /metrics is Prometheus text: it answers the one media type its document names.
    const scraped = await engine.request('GET', '/metrics', undefined, {}, { role: 'metrics' });
    const metricsContent = Object.keys(doc.paths['/metrics'].get.responses['200'].content ?? {});
    expect([scraped.status, metricsContent]).toEqual([200, [scraped.headers.get('content-type')]]);
    expect(scraped.body).toMatch(/^# HELP dropline_commands_total /m);
    checked.set('GET /metrics', [200]);

    // Every route whose document describes a JSON answer answered 2xx here and was checked against it.
    const described = operations(doc)
      .filter(({ operation }) => Object.entries(operation.responses).some(([status, r]) => status.startsWith('2') && r.content))
      .map(({ method, path }) => `${method} ${path}`);
    expect(described.length).toBeGreaterThan(40);
    for (const route of described)
      expect({ route, answered2xx: (checked.get(route) ?? []).some((st) => st < 300) }).toEqual({ route, answered2xx: true });
  });

  // The fan-out's status has a second shape with Kafka: the relay's report and the group members.
  (kafkaBrokers() ? it : it.skip)(
    'answers /messaging/status and the dead letters as documented with Kafka too: the relay, the prefixed groups, a poison message',
    async () => {
      const topic = uniqueTopic('api-docs');
      // Groups of their own (KAFKA_GROUP_PREFIX): other suites on the same cluster join `fulfillment` and `analytics`.
      const prefix = `${topic}.`;
      const kafkaEngine = await startTestEngine({
        env: {
          KAFKA_BROKERS: kafkaBrokers()!.join(','),
          KAFKA_TOPIC: topic,
          KAFKA_GROUP_PREFIX: prefix,
          KAFKA_IDEMPOTENT_PRODUCER: String(!isMockCluster()),
        },
      });
      const kafka = testKafka('api-docs-poison');
      const admin = kafka.admin();
      try {
        expect((await kafkaEngine.request('POST', '/drops', harbourHoodie())).status).toBe(201);
        const deadline = Date.now() + 30_000;
        let status = checkAnswer('GET', '/messaging/status', await kafkaEngine.request('GET', '/messaging/status'));
        while (!(status.body.relay?.state === 'caught-up' && status.body.relay.published > 0) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          status = checkAnswer('GET', '/messaging/status', await kafkaEngine.request('GET', '/messaging/status'));
        }
        expect(status.body).toMatchObject({
          mode: 'kafka',
          relay: { state: 'caught-up', published: expect.any(Number) },
          consumers: ['fulfillment', 'analytics'],
          groups: [`${prefix}fulfillment`, `${prefix}analytics`],
          processors: [
            expect.objectContaining({ name: 'kafka-consumer:fulfillment' }),
            expect.objectContaining({ name: 'kafka-consumer:analytics' }),
          ],
        });
        // A poison message on the topic: each consumer group dead-letters it into its own table (and the topic), listed here.
        const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
        await publisher.publish([{ key: 'poison', value: Buffer.from('not json'), headers: { ce_id: 'poison-1', ce_specversion: '1.0' } }]);
        await publisher.close();
        for (const consumer of ['fulfillment', 'analytics']) {
          let letters = await kafkaEngine.request('GET', `/messaging/dead-letters/${consumer}`);
          while (letters.body.deadLetters?.length !== 1 && Date.now() < deadline + 30_000) {
            await new Promise((r) => setTimeout(r, 200));
            letters = await kafkaEngine.request('GET', `/messaging/dead-letters/${consumer}`);
          }
          checkAnswer('GET', '/messaging/dead-letters/{consumer}', letters);
          expect(letters.body.deadLetters).toEqual([
            expect.objectContaining({ ceId: 'poison-1', reason: 'unparseable', value: 'not json', redriveOutcome: null }),
          ]);
        }
        // The offsets were committed under the prefixed group ids, and none under the bare names.
        await admin.connect();
        const committed = async (groupId: string) =>
          (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.filter((p) => Number(p.offset) > 0).length;
        let prefixed = 0;
        while (prefixed < 2 && Date.now() < deadline + 40_000) {
          prefixed = (await committed(`${prefix}fulfillment`)) > 0 && (await committed(`${prefix}analytics`)) > 0 ? 2 : 0;
          if (prefixed < 2) await new Promise((r) => setTimeout(r, 300));
        }
        expect(prefixed).toBe(2);
        expect(await committed('fulfillment')).toBe(0);
      } finally {
        await admin.disconnect();
        await kafkaEngine.close();
      }
    },
  );
});

describe('Swagger UI', () => {
  let engine: TestEngine;
  let browser: Browser | undefined;

  beforeAll(async () => {
    engine = await startTestEngine();
    if (!chromiumMissing) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await engine.close();
  });

  itWithChromium('the Swagger UI test')('authorizes with a bearer token and calls a protected route with it', async () => {
    browser ??= await launchChromium();
    const created = await engine.request('POST', '/drops', harbourHoodie());
    expect(created.status).toBe(201);
    const { dropId } = created.body as { dropId: string };

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${engine.url}/docs`, { waitUntil: 'load' });

    // "Authorize" exists only when the document defines the scheme its operations require.
    await page.click('.auth-wrapper button.authorize');
    await page.fill('.modal-ux input[type=text]', engine.token('analyst'));
    await page.click('.modal-ux button.authorize');
    await page.click('.modal-ux button.btn-done');

    const operation = page.locator('.opblock[id$="-ReadModelsController_inventory"]');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('input[placeholder="dropId"]').fill(dropId);
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    expect(await operation.locator('.curl-command').textContent()).toContain('Authorization: Bearer');
    expect(errors).toEqual([]);
  });
});
