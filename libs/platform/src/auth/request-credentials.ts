import type { FastifyRequest } from 'fastify';
import { UnauthenticatedException } from './auth-error';
import type { JwtVerifier } from './jwt-verifier';
import type { Principal } from './roles';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;
/** Longest Authorization header looked at; a longer one is refused without running the pattern. */
const MAX_AUTHORIZATION = 8192;

/** What a request's Authorization header proves: nothing (no header), a verified principal, or a refusal. */
export type Credentials =
  { kind: 'anonymous' } | { kind: 'verified'; principal: Principal } | { kind: 'failed'; error: UnauthenticatedException };

const CREDENTIALS = Symbol('dropline.credentials');
type WithCredentials = FastifyRequest & { [CREDENTIALS]?: Promise<Credentials> };

/**
 * The request's credentials, verified ONCE per request: the rate limiter (which keys an
 * authenticated caller by its verified subject, http/rate-limit.ts) asks first, at onRequest;
 * the AuthGuard reuses the same answer. Never throws; an unverified token is `failed`, never
 * read for its claims.
 */
export function credentialsOf(request: FastifyRequest, verifier: JwtVerifier): Promise<Credentials> {
  const r = request as WithCredentials;
  r[CREDENTIALS] ??= verify(request, verifier);
  return r[CREDENTIALS];
}

async function verify(request: FastifyRequest, verifier: JwtVerifier): Promise<Credentials> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return { kind: 'anonymous' };
  const match = typeof header === 'string' && header.length <= MAX_AUTHORIZATION ? BEARER.exec(header) : null;
  if (!match)
    return { kind: 'failed', error: new UnauthenticatedException('AUTH.TOKEN_INVALID', 'The Authorization header must be "Bearer <JWT>"') };
  try {
    return { kind: 'verified', principal: await verifier.verify(match[1]) };
  } catch (e) {
    if (e instanceof UnauthenticatedException) return { kind: 'failed', error: e };
    throw e;
  }
}

/** The verified caller, or the 401 to answer (no token: AUTH.UNAUTHENTICATED; a bad one: why it failed). */
export async function authenticate(request: FastifyRequest, verifier: JwtVerifier): Promise<Principal> {
  const credentials = await credentialsOf(request, verifier);
  switch (credentials.kind) {
    case 'verified':
      return credentials.principal;
    case 'failed':
      throw credentials.error;
    case 'anonymous':
      throw new UnauthenticatedException('AUTH.UNAUTHENTICATED', 'A bearer token is required (Authorization: Bearer <token>)');
  }
}
