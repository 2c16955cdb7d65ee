import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { JwtVerifier } from '../auth/jwt-verifier';
import type { HttpEdgeConfig } from '../config/app-config';
import { useRateLimits } from './rate-limit';
import { useSecurityHeaders } from './security-headers';
import { applyConnectionLimits } from './server-limits';

/**
 * The HTTP edge of an API app (docs/security.md, "Limits"): security headers and the caching
 * rule, rate limits keyed by verified subject or client address, the connection cap and the
 * header timeout. The Fastify options (timeouts, trusted proxies, Node's parser errors as
 * problems) come from httpServerOptions(). Call after NestFactory.create, before init/listen.
 */
export async function applyHttpEdge(
  app: NestFastifyApplication,
  http: HttpEdgeConfig,
  verifier: JwtVerifier | undefined,
): Promise<{ maxConnections: number }> {
  await useSecurityHeaders(app);
  if (verifier) await useRateLimits(app, http.rateLimit, verifier);
  return applyConnectionLimits(app, http);
}
