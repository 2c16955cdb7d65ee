import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Role } from './roles';

/** File in DATA_DIR holding the embedded engine's development signing secret. */
export const DEV_KEY_FILE = 'dev-jwt-secret';
export const DEV_ISSUER = 'urn:dropline:dev';
export const DEV_AUDIENCE = 'dropline-engine';

/** Reads the development secret from DATA_DIR, generating it on first use (so tokens survive restarts). */
export function loadOrCreateDevSecret(dataDir: string): string {
  const file = path.join(dataDir, DEV_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** The development secret if one was ever generated in DATA_DIR (to refuse it in production). */
export function existingDevSecret(dataDir: string): string | undefined {
  const file = path.join(dataDir, DEV_KEY_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** An HS256 token signed with `secret`, for `npm start`'s banner and `dropline token` (`city`: the optional city claim). */
export function mintToken(
  secret: string,
  role: Role,
  sub: string,
  options: { issuer?: string; audience?: string; expiresIn?: string; city?: string } = {},
): Promise<string> {
  return new SignJWT({ roles: [role], ...(options.city !== undefined ? { city: options.city } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setAudience(options.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '30d')
    .sign(new TextEncoder().encode(secret));
}
