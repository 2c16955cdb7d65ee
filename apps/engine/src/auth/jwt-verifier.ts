import { createRemoteJWKSet, errors as joseErrors, importSPKI, jwtVerify, JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/app-config';
import { UnauthenticatedException } from './auth-error';
import { isRole, Principal, Role } from './roles';

type Key = Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;

/**
 * Verifies bearer tokens: signature with the one configured key (HS256 secret, RS256
 * public key or JWKS — the algorithm is pinned to the key type, so `alg: none` and
 * HS/RS confusion are refused), expiry, issuer and audience, then requires a `sub` and
 * a non-empty `roles` claim of known roles.
 */
export class JwtVerifier {
  /**
   * Tokens that already verified, until their `exp` (a minute at most without one). A
   * customer or a till sends the same token with every request; re-checking an HMAC or
   * RSA signature each time was one of the largest costs per request. A token string is
   * immutable, so a verified one stays valid until it expires; the cache is bounded and
   * drops its oldest entries first.
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
      const verified = await jwtVerify(token, this.key as Uint8Array, { algorithms: this.algorithms, issuer: this.issuer, audience: this.audience, clockTolerance: 5 });
      payload = verified.payload as Record<string, unknown>;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new UnauthenticatedException('AUTH.TOKEN_EXPIRED', 'The bearer token has expired');
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw new UnauthenticatedException('AUTH.TOKEN_INVALID', `The bearer token's ${e.claim} claim is not accepted`);
      throw new UnauthenticatedException('AUTH.TOKEN_INVALID', 'The bearer token does not verify');
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) throw new UnauthenticatedException('AUTH.TOKEN_INVALID', 'The bearer token has no usable sub claim');
    const roles = payload.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new UnauthenticatedException('AUTH.TOKEN_INVALID', 'The bearer token needs a roles claim of ops, analyst, customer, till or service');
    }
    const principal: Principal = { sub, roles: roles as Role[] };
    const untilMs = typeof payload.exp === 'number' ? Math.min(payload.exp * 1000, Date.now() + 3_600_000) : Date.now() + 60_000;
    if (this.verified.size >= JwtVerifier.MAX_CACHED) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, untilMs });
    return principal;
  }
}
