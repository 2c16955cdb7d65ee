import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { policyFor } from '../auth/route-policy';

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

/**
 * Security headers (@fastify/helmet: CSP above, HSTS, nosniff, frame and referrer policies,
 * cross-origin isolation headers) on every answer, and the caching rule: an answer to a request
 * that carried a token, or from a route that is not public, is `Cache-Control: no-store`; a public
 * route's answer varies with Authorization (staff may see more on the same URL). Call after
 * NestFactory.create, before init.
 */
export async function useSecurityHeaders(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, { contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      const policy = policyFor(request.method, request.routeOptions?.url ?? '');
      const publicRoute = policy !== undefined && 'public' in policy;
      if (request.headers.authorization !== undefined) void reply.header('cache-control', 'no-store');
      else if (!publicRoute && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
      if (publicRoute) {
        const vary = reply.getHeader('vary');
        void reply.header('vary', vary ? `${String(vary)}, Authorization` : 'Authorization');
      }
      return payload;
    });
}
