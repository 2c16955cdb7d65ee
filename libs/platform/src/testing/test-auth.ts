import { createHmac } from 'node:crypto';

/**
 * Tokens for tests. Every test engine (in-process or OS process) trusts this HS256 secret,
 * issuer and audience unless a test configures its own; tokens are signed synchronously
 * with node:crypto so a helper can attach one to any request without awaiting.
 */
export const TEST_JWT = {
  secret: 'dropline-test-secret-not-for-production-0123456789',
  issuer: 'https://auth.test.dropline.invalid/',
  audience: 'dropline-engine',
} as const;

export type TestRole = 'ops' | 'analyst' | 'customer' | 'till' | 'service' | 'metrics';

/** The JWT_* variables that make an engine trust TEST_JWT. */
export function testAuthEnv(): Record<string, string> {
  return { JWT_SECRET: TEST_JWT.secret, JWT_ISSUER: TEST_JWT.issuer, JWT_AUDIENCE: TEST_JWT.audience };
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export interface MintOptions {
  /** Seconds from now; negative for an expired token. Default 3600. */
  expiresIn?: number;
  issuer?: string;
  audience?: string | string[];
  secret?: string;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
  /** Header overrides (e.g. `{ alg: 'none' }`). With alg none the token is unsigned. */
  header?: Record<string, unknown>;
}

/** An HS256 JWT with `sub` and `roles`, valid for the test engines unless options say otherwise. */
export function mintTestToken(roles: TestRole | TestRole[] | string[], sub: string, options: MintOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', ...(options.header ?? {}) };
  const payload = {
    sub,
    roles: Array.isArray(roles) ? roles : [roles],
    iss: options.issuer ?? TEST_JWT.issuer,
    aud: options.audience ?? TEST_JWT.audience,
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    ...(options.claims ?? {}),
  };
  const signingInput = `${b64(header)}.${b64(payload)}`;
  if (header.alg === 'none') return `${signingInput}.`;
  const signature = createHmac('sha256', options.secret ?? TEST_JWT.secret)
    .update(signingInput)
    .digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Default subject per role in tests. */
export const TEST_SUBJECTS: Record<TestRole, string> = {
  ops: 'ops-test',
  analyst: 'analyst-test',
  customer: 'customer-test',
  till: 'till-test',
  service: 'service-test',
  metrics: 'prometheus-test',
};

/** `{ authorization: 'Bearer …' }` for a role (and subject). */
export function bearer(role: TestRole, sub: string = TEST_SUBJECTS[role]): Record<string, string> {
  return { authorization: `Bearer ${mintTestToken(role, sub)}` };
}
