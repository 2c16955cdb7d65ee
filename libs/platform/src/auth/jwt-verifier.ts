import { createRemoteJWKSet, errors as joseErrors, importSPKI, jwtVerify, JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/app-config';
import { CUSTOMER_ID } from '../http/params';
import { UnauthenticatedException } from './auth-error';
import { isRole, Principal, Role } from './roles';

type Key = Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;

/** Seconds of clock difference allowed between the token's issuer and this engine (exp, nbf, iat). */
export const CLOCK_TOLERANCE_S = 5;
/** The longest a subject may be, in characters (Unicode code points). */
export const MAX_SUBJECT_LENGTH = 128;
/** C0 controls, DEL, C1 controls, or a lone UTF-16 surrogate (PostgreSQL's jsonb refuses \u0000 and unpaired surrogates). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTER = /[\u0000-\u001F\u007F-\u009F]|\p{Cs}/u;

/**
 * Why `sub` cannot be this token's subject, or undefined if it can. The subject becomes the
 * `actor` of every event the request causes, so it must be text PostgreSQL stores: 1-128
 * characters, no control character and no lone surrogate. A customer's subject is the
 * customerId the customer acts for, so it also follows the customerId rule.
 */
export function subjectProblem(sub: unknown, roles: readonly Role[]): string | undefined {
  if (typeof sub !== 'string' || sub.length === 0) return 'has no sub claim';
  if ([...sub].length > MAX_SUBJECT_LENGTH) return `has a sub claim longer than ${MAX_SUBJECT_LENGTH} characters`;
  if (UNSAFE_CHARACTER.test(sub)) return 'has a sub claim with a control character or a lone surrogate';
  if (roles.includes('customer') && !CUSTOMER_ID.test(sub))
    return 'has the customer role, so its sub claim must be a customerId: 1-128 letters, digits, or . _ : @ -';
  return undefined;
}

/** The longest a `city` claim may be, in characters (Unicode code points). */
export const MAX_CITY_LENGTH = 64;

/**
 * Why `city` cannot be a token's `city` claim, or undefined if it can: 1-64 characters, not only
 * whitespace, no control character and no lone surrogate. The claim makes its bearer a buyer of
 * the city for drops with a `city` access phase (it must equal the drop's `city` exactly), so a
 * malformed one is refused rather than ignored: ignoring it would turn a buyer away silently.
 */
export function cityProblem(city: unknown): string | undefined {
  if (typeof city !== 'string' || city.trim().length === 0) return 'has a city claim that is not a non-empty string';
  if ([...city].length > MAX_CITY_LENGTH) return `has a city claim longer than ${MAX_CITY_LENGTH} characters`;
  if (UNSAFE_CHARACTER.test(city)) return 'has a city claim with a control character or a lone surrogate';
  return undefined;
}

/**
 * Verifies bearer tokens: signature with the one configured key (HS256 secret, RS256
 * public key or JWKS — the algorithm is pinned to the key type, so `alg: none` and
 * HS/RS confusion are refused), issuer and audience; requires an `exp` (not passed), an
 * `iat` (if present) not in the future, a usable `sub` (see subjectProblem), a
 * non-empty `roles` claim of known roles and, when present, a usable `city` (see cityProblem).
 * Every refusal is 401; one caused by a single claim names it as the problem's `field`.
 */
export class JwtVerifier {
  /**
   * Tokens that already verified, until their `exp` and for an hour at most (a token
   * without `exp` never verifies, so it never gets here). A customer or a till sends the
   * same token with every request; re-checking an HMAC or RSA signature each time was one
   * of the largest costs per request. A token string is immutable, so a verified one stays
   * valid until it expires; the cache is bounded and drops its oldest entries first.
   */
  private readonly verified = new Map<string, { principal: Principal; untilMs: number }>();
  private static readonly MAX_CACHED = 10_000;

  private constructor(
    private readonly key: Key,
    private readonly algorithms: string[],
    private readonly issuer: string | undefined,
    private readonly audience: string | undefined,
  ) {}

  static async fromConfig(jwt: Pick<JwtConfig, 'secret' | 'publicKey' | 'jwksUrl' | 'issuer' | 'audience'>): Promise<JwtVerifier> {
    if (jwt.secret) return new JwtVerifier(new TextEncoder().encode(jwt.secret), ['HS256'], jwt.issuer, jwt.audience);
    if (jwt.publicKey) return new JwtVerifier(await importSPKI(jwt.publicKey, 'RS256'), ['RS256'], jwt.issuer, jwt.audience);
    if (jwt.jwksUrl) return new JwtVerifier(createRemoteJWKSet(new URL(jwt.jwksUrl)), ['RS256'], jwt.issuer, jwt.audience);
    throw new Error('JwtVerifier needs a secret, a public key or a JWKS URL');
  }

  async verify(token: string): Promise<Principal> {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.untilMs > Date.now()) return cached.principal;
      this.verified.delete(token);
    }
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.algorithms,
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired)
        throw new UnauthenticatedException('AUTH.TOKEN_EXPIRED', 'The bearer token has expired', { field: e.claim });
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        const detail =
          e.claim === 'exp' && e.reason === 'missing'
            ? 'The bearer token has no exp claim; every token must expire (mint a long-lived one with a distant exp)'
            : `The bearer token's ${e.claim} claim is not accepted`;
        throw new UnauthenticatedException('AUTH.TOKEN_INVALID', detail, { field: e.claim });
      }
      throw new UnauthenticatedException('AUTH.TOKEN_INVALID', 'The bearer token does not verify');
    }
    const nowMs = Date.now();
    // jose checks that iat is a number but not when it is; a token "issued" in the future is refused.
    if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + CLOCK_TOLERANCE_S * 1000) {
      throw new UnauthenticatedException(
        'AUTH.TOKEN_INVALID',
        `The bearer token's iat claim is in the future (more than ${CLOCK_TOLERANCE_S} s ahead)`,
        { field: 'iat' },
      );
    }
    const roles = payload.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new UnauthenticatedException(
        'AUTH.TOKEN_INVALID',
        'The bearer token needs a roles claim of ops, analyst, customer, till or service',
        { field: 'roles' },
      );
    }
    const sub = payload.sub;
    const subProblem = subjectProblem(sub, roles as Role[]);
    if (subProblem !== undefined)
      throw new UnauthenticatedException('AUTH.TOKEN_INVALID', `The bearer token ${subProblem}`, { field: 'sub' });
    const city = payload.city;
    if (city !== undefined) {
      const problem = cityProblem(city);
      if (problem !== undefined) throw new UnauthenticatedException('AUTH.TOKEN_INVALID', `The bearer token ${problem}`, { field: 'city' });
    }
    const principal: Principal = { sub: sub as string, roles: roles as Role[], ...(city !== undefined ? { city: city as string } : {}) };
    // jose required a numeric exp; the hour's cap bounds how long a cached token outlives a key rotation.
    if (typeof payload.exp !== 'number') return principal;
    const untilMs = Math.min(payload.exp * 1000, nowMs + 3_600_000);
    if (this.verified.size >= JwtVerifier.MAX_CACHED) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, untilMs });
    return principal;
  }
}
