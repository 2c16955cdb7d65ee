import SwaggerParser from '@apidevtools/swagger-parser';
import type { Browser } from 'playwright-core';
import { BEARER_SCHEME, policyFor, registeredRoutes, ROLES_EXTENSION } from '@dropline/platform';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';
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
