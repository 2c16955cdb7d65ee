import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { JwtVerifier } from '../auth/jwt-verifier';
import { credentialsOf } from '../auth/request-credentials';
import type { HttpEdgeConfig } from '../config/app-config';
import { ProblemException } from './problem';

/** Who a request is counted against, and under which limit. */
export type RateKey = `sub:${string}` | `fail:${string}` | `ip:${string}`;

/**
 * The bucket of a request: a verified token's subject (whatever the address: 256 buyers behind
 * one NAT each have their own), else the client address — in its own low bucket when the
 * request carried a token that does not verify, so guessing tokens is slow. The address is
 * Fastify's `request.ip`: the socket's, or X-Forwarded-For's only behind TRUSTED_PROXIES.
 * An unverified token's claims are never read.
 */
export async function rateKey(request: FastifyRequest, verifier: JwtVerifier): Promise<RateKey> {
  const credentials = await credentialsOf(request, verifier);
  if (credentials.kind === 'verified') return `sub:${credentials.principal.sub}`;
  return credentials.kind === 'failed' ? `fail:${request.ip}` : `ip:${request.ip}`;
}

/** The limit per window of a bucket. */
export function limitFor(key: string, limits: HttpEdgeConfig['rateLimit']): number {
  if (key.startsWith('sub:')) return limits.authenticated;
  if (key.startsWith('fail:')) return limits.authFailures;
  return limits.anonymous;
}

/**
 * Rate limits on every route with @fastify/rate-limit (its in-memory store: limits count per
 * engine process), checked at onRequest — before the body is read or the route runs. Over the
 * limit: 429 RATE.LIMITED (problem+json, rendered by the ProblemFilter) with Retry-After.
 * docs/security.md, "Rate limits". Call after NestFactory.create, before init.
 */
export async function useRateLimits(
  app: NestFastifyApplication,
  limits: HttpEdgeConfig['rateLimit'],
  verifier: JwtVerifier,
): Promise<void> {
  if (!limits.enabled) return;
  await app.register(rateLimit, {
    global: true,
    timeWindow: limits.windowMs,
    keyGenerator: (request) => rateKey(request, verifier),
    max: (_request, key) => limitFor(key, limits),
    errorResponseBuilder: (_request, context) =>
      new ProblemException(429, 'RATE.LIMITED', `Too many requests; retry in ${context.after}`, {
        limit: context.max,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
}
