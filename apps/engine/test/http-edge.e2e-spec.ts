import { request as httpRequest, Agent } from 'node:http';
import { connect, Socket } from 'node:net';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';
import { mintTestToken } from '../../../libs/platform/src/testing/test-auth';

/**
 * The HTTP edge (issue 15, docs/security.md "Limits"): rate limits keyed by verified subject
 * or client address, the connection cap, Node's own parser errors and non-JSON bodies as
 * problems, security headers and the caching rule — against a real engine on a real port.
 */

/** One raw HTTP/1.1 exchange: what the server wrote before closing (or within `waitMs`). */
function raw(url: string, text: string | Buffer, waitMs = 3000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    socket.write(text);
  });
}

function parseRaw(response: string): { status: number; headers: Record<string, string>; body: any } {
  const [head, ...rest] = response.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = rest.join('\r\n\r\n');
  return { status: Number(statusLine.split(' ')[1]), headers, body: text ? JSON.parse(text) : undefined };
}

/** Helmet's Content-Security-Policy with CONTENT_SECURITY_POLICY's changes (frame-ancestors 'none', no upgrade-insecure-requests). */
const CSP =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;" +
  "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline'";

/** One request over node:http: the status and every response header as sent, in order (names lower-cased). */
function rawHeaders(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: string[][] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const pairs: string[][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
        resolve({ status: res.statusCode ?? 0, headers: pairs });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const isProblem = (res: { headers: Headers | Record<string, string>; body: any }, status: number, code: string) => {
  const type = res.headers instanceof Headers ? res.headers.get('content-type') : res.headers['content-type'];
  expect({ type: type?.split(';')[0], status: res.body?.status, code: res.body?.code }).toEqual({
    type: 'application/problem+json',
    status,
    code,
  });
};

describe('HTTP edge with default limits', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('refuses repeated bad tokens from one address with 429 RATE.LIMITED and Retry-After, and counts nobody else', async () => {
    const expired = mintTestToken('ops', 'ops-test', { expiresIn: -600 });
    const statuses = new Map<number, number>();
    let limited: Awaited<ReturnType<TestEngine['request']>> | undefined;
    for (let i = 0; i < 300; i++) {
      const token = i % 2 ? expired : `${expired.slice(0, -4)}AAAA`;
      const res = await engine.request('GET', '/admin/projections', undefined, {}, { token });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) limited ??= res;
    }
    // RATE_LIMIT_AUTH_FAILURES defaults to 30 per window: the rest are refused before verification matters.
    expect(Object.fromEntries(statuses)).toEqual({ 401: 30, 429: 270 });
    isProblem(limited!, 429, 'RATE.LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.body.retryAfterSeconds).toBe(Number(limited!.headers.get('retry-after')));
    // A verified caller from the same address has its own bucket, and so do anonymous reads.
    expect((await engine.request('GET', '/admin/projections')).status).toBe(200);
    expect((await engine.request('GET', '/health/live', undefined, {}, { token: null })).status).toBe(200);
  });

  it('sells a 256-buyer hot drop from one address to exactly its cap, with no 429', async () => {
    const cap = 200;
    const created = await engine.request(
      'POST',
      '/drops',
      harbourHoodie({
        variants: [{ sku: 'HOT-1', size: 'M', colour: 'red', editionCap: cap }],
        priceTiers: [{ unitPrice: 2500 }],
        basketTiers: [],
        minimumOrderQuantity: 1,
        perCustomerLimit: 1,
      }),
    );
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    engine.clock.set('2026-12-02T10:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        engine.request(
          'POST',
          `/drops/${dropId}/pre-orders`,
          { sku: 'HOT-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
          { 'idempotency-key': `hot-${i}` },
          { role: 'customer', sub: `buyer-${i}` },
        ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const r of results)
      counts[`${r.status} ${r.body?.code ?? ''}`.trim()] = (counts[`${r.status} ${r.body?.code ?? ''}`.trim()] ?? 0) + 1;
    expect(counts).toEqual({ 201: cap, '409 DROP.SOLD_OUT': 256 - cap });
  });

  it('answers headers over 16 KiB with 431 and a request line over it with 414, as problems', async () => {
    const big = parseRaw(await raw(engine.url, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(big.status).toBe(431);
    isProblem(big, 431, 'REQUEST.HEADERS_TOO_LARGE');
    const many = parseRaw(
      await raw(
        engine.url,
        `GET /health/live HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(50)}\r\n`).join('')}\r\n`,
      ),
    );
    isProblem(many, 431, 'REQUEST.HEADERS_TOO_LARGE');
    const longUrl = parseRaw(await raw(engine.url, `GET /drops?city=${'c'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(longUrl.status).toBe(414);
    isProblem(longUrl, 414, 'REQUEST.URL_TOO_LONG');
    const garbage = parseRaw(await raw(engine.url, `GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`));
    isProblem(garbage, 400, 'REQUEST.MALFORMED');
  });

  it("answers what Node's server refused itself with an empty body as problems: an unknown Expect (417), HTTP/1.1 without Host (400)", async () => {
    const expectation = parseRaw(
      await raw(
        engine.url,
        `POST /drops HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      ),
    );
    isProblem(expectation, 417, 'REQUEST.EXPECTATION_FAILED');
    expect(expectation.body.field).toBe('Expect');
    const hostless = parseRaw(await raw(engine.url, `GET /drops HTTP/1.1\r\n\r\n`));
    isProblem(hostless, 400, 'REQUEST.MALFORMED');
    expect(hostless.body.field).toBe('Host');
    expect(hostless.headers['x-content-type-options']).toBe('nosniff');
    // HTTP/1.0 needs no Host, and 100-continue is still honoured.
    expect(parseRaw(await raw(engine.url, `GET /health/live HTTP/1.0\r\n\r\n`)).status).toBe(200);
    const continued = await raw(engine.url, `GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('answers a path parameter over 300 characters with 414 and bad percent-encoding with 400, as problems', async () => {
    isProblem(await engine.request('GET', `/drops/${'a'.repeat(301)}`, undefined, {}, { token: null }), 414, 'REQUEST.URL_TOO_LONG');
    isProblem(await engine.request('GET', '/drops/%E0%A4%A', undefined, {}, { token: null }), 400, 'REQUEST.INVALID_URL');
  });

  it('refuses bodies that are not JSON with 415 before validation', async () => {
    const body = 'customerId=c1&sku=HH-M-NAVY&quantity=1';
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await engine.request('POST', '/drops/some-drop/pre-orders', body, {
        'content-type': type,
        'idempotency-key': 'k-415',
        authorization: `Bearer ${mintTestToken('customer', 'c1')}`,
      });
      isProblem(res, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('sends security headers, a CSP without inline script, and no-store on authenticated answers', async () => {
    const anonymous = await engine.request('GET', '/drops', undefined, {}, { token: null });
    expect(anonymous.status).toBe(200);
    const csp = anonymous.headers.get('content-security-policy') ?? '';
    const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src '));
    expect(scriptSrc?.trim()).toBe("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(anonymous.headers.get('x-content-type-options')).toBe('nosniff');
    expect(anonymous.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(anonymous.headers.get('cache-control')).toBeNull();
    expect(anonymous.headers.get('vary')).toMatch(/authorization/i);
    // The same public read with a token, a staff read, and a refusal: never stored by a cache.
    expect((await engine.request('GET', '/drops', undefined, {}, { role: 'ops' })).headers.get('cache-control')).toBe('no-store');
    expect((await engine.request('GET', '/admin/projections')).headers.get('cache-control')).toBe('no-store');
    expect((await engine.request('GET', '/admin/projections', undefined, {}, { token: null })).headers.get('cache-control')).toBe(
      'no-store',
    );
  });

  it('answers with exactly this header set: a till pre-order, an anonymous public read, a refusal, an unknown route', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie({ channels: ['web', 'kiosk'] }));
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`)).status).toBe(200);
    engine.clock.set('2026-12-02T10:00:00Z');
    const till = `Bearer ${mintTestToken('till', 'kiosk-1')}`;
    const body = JSON.stringify({
      customerId: 'c-headers',
      sku: 'HH-M-NAVY',
      quantity: 1,
      channel: 'kiosk',
      fulfillment: { method: 'ship' },
    });
    const placed = await rawHeaders(engine.url, 'POST', `/drops/${dropId}/pre-orders`, body, {
      'content-type': 'application/json',
      'idempotency-key': 'headers-1',
      authorization: till,
    });
    const security = [
      ['content-security-policy', CSP],
      ['cross-origin-opener-policy', 'same-origin'],
      ['cross-origin-resource-policy', 'same-origin'],
      ['origin-agent-cluster', '?1'],
      ['referrer-policy', 'no-referrer'],
      ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
      ['x-content-type-options', 'nosniff'],
      ['x-dns-prefetch-control', 'off'],
      ['x-download-options', 'noopen'],
      ['x-frame-options', 'SAMEORIGIN'],
      ['x-permitted-cross-domain-policies', 'none'],
      ['x-xss-protection', '0'],
    ];
    expect(placed).toEqual({
      status: 201,
      headers: [
        ...security,
        ['x-ratelimit-limit', String(engine.config.http.rateLimit.authenticated)],
        ['x-ratelimit-remaining', expect.stringMatching(/^\d+$/)],
        ['x-ratelimit-reset', expect.stringMatching(/^\d+$/)],
        ['content-type', 'application/json; charset=utf-8'],
        ['cache-control', 'no-store'],
        ['content-length', expect.stringMatching(/^\d+$/)],
        ['date', expect.any(String)],
        ['connection', 'keep-alive'],
        ['keep-alive', expect.stringMatching(/^timeout=\d+, max=\d+$/)],
      ],
    });
    // The drops list (the read model may not show the new drop yet; the list answers 200 either way).
    expect(await rawHeaders(engine.url, 'GET', '/drops')).toEqual({
      status: 200,
      headers: [
        ...security,
        ['x-ratelimit-limit', String(engine.config.http.rateLimit.anonymous)],
        ['x-ratelimit-remaining', expect.stringMatching(/^\d+$/)],
        ['x-ratelimit-reset', expect.stringMatching(/^\d+$/)],
        ['content-type', 'application/json; charset=utf-8'],
        ['vary', 'Authorization'],
        ['content-length', expect.stringMatching(/^\d+$/)],
        ['date', expect.any(String)],
        ['connection', 'keep-alive'],
        ['keep-alive', expect.stringMatching(/^timeout=\d+, max=\d+$/)],
      ],
    });
    expect(await rawHeaders(engine.url, 'POST', `/drops/${dropId}/pre-orders`, body, { 'content-type': 'application/json' })).toEqual({
      status: 401,
      headers: [
        ...security,
        ['x-ratelimit-limit', String(engine.config.http.rateLimit.anonymous)],
        ['x-ratelimit-remaining', expect.stringMatching(/^\d+$/)],
        ['x-ratelimit-reset', expect.stringMatching(/^\d+$/)],
        ['www-authenticate', 'Bearer'],
        ['content-type', 'application/problem+json; charset=utf-8'],
        ['cache-control', 'no-store'],
        ['content-length', expect.stringMatching(/^\d+$/)],
        ['date', expect.any(String)],
        ['connection', 'keep-alive'],
        ['keep-alive', expect.stringMatching(/^timeout=\d+, max=\d+$/)],
      ],
    });
    expect(await rawHeaders(engine.url, 'GET', '/no-such-route', undefined, { authorization: till })).toEqual({
      status: 404,
      headers: [
        ...security,
        // Fastify's not-found handler is not rate limited.
        ['content-type', 'application/problem+json; charset=utf-8'],
        ['cache-control', 'no-store'],
        ['content-length', expect.stringMatching(/^\d+$/)],
        ['date', expect.any(String)],
        ['connection', 'keep-alive'],
        ['keep-alive', expect.stringMatching(/^timeout=\d+, max=\d+$/)],
      ],
    });
  });

  it('serves Swagger UI without inline script or persisted tokens, from memory', async () => {
    const page = await fetch(`${engine.url}/docs`);
    const html = await page.text();
    expect(page.status).toBe(200);
    // Every <script> has a src and no body.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/docs\/[\w.-]+\.js"/);
      expect(body.trim()).toBe('');
    }
    for (const [, src] of html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)) {
      const asset = await fetch(`${engine.url}${src}`);
      expect({ src, status: asset.status }).toEqual({ src, status: 200 });
      expect(asset.headers.get('content-type')).toMatch(/^(application\/javascript|text\/css)/);
    }
    const init = await (await fetch(`${engine.url}/docs/swagger-init.js`)).text();
    expect(init).toContain('persistAuthorization: false');
    expect(init).not.toMatch(/localStorage/);
    expect((await fetch(`${engine.url}/docs-json`)).status).toBe(200);
  });
});

describe('HTTP edge with configured limits', () => {
  it('limits anonymous callers per address, from X-Forwarded-For only behind a trusted proxy', async () => {
    const direct = await startTestEngine({ env: { RATE_LIMIT_ANONYMOUS: '3' } });
    const proxied = await startTestEngine({ env: { RATE_LIMIT_ANONYMOUS: '3', TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      const statuses = async (engine: TestEngine, forwardedFor: (i: number) => string) => {
        const out: number[] = [];
        for (let i = 0; i < 6; i++)
          out.push(
            (await engine.request('GET', '/health/live', undefined, { 'x-forwarded-for': forwardedFor(i) }, { token: null })).status,
          );
        return out;
      };
      // Not behind a trusted proxy: X-Forwarded-For is the caller's own claim, and ignored.
      expect(await statuses(direct, (i) => `203.0.113.${i}`)).toEqual([200, 200, 200, 429, 429, 429]);
      // Behind one: each forwarded client has its own bucket…
      expect(await statuses(proxied, (i) => `203.0.113.${i}`)).toEqual([200, 200, 200, 200, 200, 200]);
      // …and one client is limited whatever proxy hop it came through.
      expect(await statuses(proxied, () => '198.51.100.7')).toEqual([200, 200, 200, 429, 429, 429]);
      // A token whose subject verifies is not counted against the address.
      expect((await direct.request('GET', '/admin/projections')).status).toBe(200);
    } finally {
      await direct.close();
      await proxied.close();
    }
  });

  it('refuses the 51st socket with HTTP_MAX_CONNECTIONS=50 while /health/live answers on an open connection', async () => {
    const engine = await startTestEngine({ env: { HTTP_MAX_CONNECTIONS: '50' } });
    const sockets: Socket[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const live = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(`${engine.url}/health/live`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await live()).toEqual({ status: 200, reused: false });
      const { port } = new URL(engine.url);
      const open = (): Promise<{ socket: Socket; closedWithin: (ms: number) => Promise<boolean> }> =>
        new Promise((resolve, reject) => {
          const socket = connect(Number(port), '127.0.0.1');
          let closed = false;
          socket.on('close', () => (closed = true));
          socket.on('error', () => undefined);
          socket.once('connect', () =>
            resolve({
              socket,
              closedWithin: async (ms) => {
                const deadline = Date.now() + ms;
                while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
                return closed;
              },
            }),
          );
          socket.once('error', reject);
        });
      for (let i = 0; i < 49; i++) sockets.push((await open()).socket);
      await new Promise((r) => setTimeout(r, 200));
      expect(engine.app.getHttpServer().maxConnections).toBe(50);
      const fifty = await new Promise<number>((resolve, reject) =>
        engine.app.getHttpServer().getConnections((e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(fifty).toBe(50);
      const extra = await open();
      sockets.push(extra.socket);
      expect(await extra.closedWithin(2000)).toBe(true);
      // The kept-alive connection opened first is still served.
      expect(await live()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
      for (const s of sockets) s.destroy();
      await engine.close();
    }
  });
});
