import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import { policyFor } from '../auth/route-policy';
import { lazySchemaCompilers } from './lazy-schema-compilers';

/**
 * The Content-Security-Policy every answer carries: Helmet's defaults (scripts and styles from
 * this origin only, no inline script, no plugins, no framing) without `upgrade-insecure-requests`
 * (the development engine is plain http on localhost). A bundled front end served from this
 * origin lives with it; the Swagger UI at /docs does (its start-up script is a file, api-docs.ts).
 */
export const CONTENT_SECURITY_POLICY = {
  useDefaults: true,
  directives: {
    'frame-ancestors': ["'none'"],
    'upgrade-insecure-requests': null,
  },
};

/** A response header as helmet sets it: its name (helmet's spelling) and value. */
export type StaticHeader = readonly [name: string, value: string];

/**
 * The headers @fastify/helmet sets with these options, read once from a throwaway Fastify
 * instance. They do not depend on the request (no CSP nonces, no per-request directive
 * functions), yet the plugin builds a fresh helmet() middleware on every request — parsing the
 * CSP directives and choosing the middlewares again, about 3% of a pre-order's CPU. Asking the
 * plugin itself, rather than writing the values down, keeps helmet the one source of the set.
 */
export async function helmetHeaders(options: Parameters<typeof helmet>[1]): Promise<StaticHeader[]> {
  const probe = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
  let headers: StaticHeader[] = [];
  try {
    await probe.register(helmet, options);
    probe.get('/', (_request, reply) => {
      // Node has getRawHeaderNames since 15.1 (helmet's spelling of each name); @types/node here does not declare it.
      const raw = reply.raw as typeof reply.raw & { getRawHeaderNames(): string[] };
      headers = raw.getRawHeaderNames().map((name) => [name, String(raw.getHeader(name))] as const);
      return '';
    });
    await probe.inject({ method: 'GET', url: '/' });
  } finally {
    await probe.close();
  }
  if (headers.length === 0) throw new Error('@fastify/helmet set no header on the probe request');
  return headers;
}

/**
 * Security headers (@fastify/helmet: CSP above, HSTS, nosniff, frame and referrer policies,
 * cross-origin isolation headers) on every answer, and the caching rule: an answer to a request
 * that carried a token, or from a route that is not public, is `Cache-Control: no-store`; a public
 * route's answer varies with Authorization (staff may see more on the same URL). Call after
 * NestFactory.create, before init.
 */
export async function useSecurityHeaders(app: NestFastifyApplication): Promise<void> {
  const headers = await helmetHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  const fastify = app.getHttpAdapter().getInstance();
  // Where @fastify/helmet sets them (onRequest, before any other header), so every answer carries
  // them, refusals and not-found included, first and in helmet's order. As reply headers rather
  // than on the raw response: one raw setHeader sends every header of the answer through Node's
  // validating setHeader path instead of writeHead's single pass. (Names go out lower-case, as
  // Fastify writes all its headers.)
  const names = headers.map(([name]) => name.toLowerCase());
  const values = headers.map(([, value]) => value);
  fastify.addHook('onRequest', (_request, reply, done) => {
    for (let i = 0; i < names.length; i++) void reply.header(names[i], values[i]);
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const policy = policyFor(request.method, request.routeOptions?.url ?? '');
    const publicRoute = policy !== undefined && 'public' in policy;
    if (request.headers.authorization !== undefined) void reply.header('cache-control', 'no-store');
    else if (!publicRoute && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    if (publicRoute) {
      const vary = reply.getHeader('vary');
      void reply.header('vary', vary ? `${String(vary)}, Authorization` : 'Authorization');
    }
    done(null, payload);
  });
}
