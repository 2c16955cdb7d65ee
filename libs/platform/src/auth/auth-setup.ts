import type { AppConfig } from '../config/app-config';
import { ConfigError } from '../config/app-config';
import { DEV_AUDIENCE, DEV_ISSUER, existingDevSecret, loadOrCreateDevSecret, mintToken } from './dev-key';
import { JwtVerifier } from './jwt-verifier';
import { ROLES, Role } from './roles';

/** How this engine authenticates callers, decided once at boot. */
export interface AuthSetup {
  verifier: JwtVerifier;
  /** Present only on the embedded development engine: mints tokens with the development key. */
  dev?: { mint(role: Role, sub?: string): Promise<string> };
}

/** Production is NODE_ENV=production or any store other than the embedded one. */
export function isProduction(config: AppConfig): boolean {
  return config.nodeEnv === 'production' || config.eventStore !== 'pglite';
}

/**
 * Chooses the verification key. Production refuses to start with the development key or
 * without issuer and audience (a ConfigError names the variable); the embedded development
 * engine without a configured key generates one in DATA_DIR once and keeps it there.
 */
export async function setUpAuth(config: AppConfig): Promise<AuthSetup> {
  const { jwt } = config;
  const configured = Boolean(jwt.secret || jwt.publicKey || jwt.jwksUrl);
  if (isProduction(config)) {
    if (!configured)
      throw new ConfigError(
        'JWT_SECRET',
        'or JWT_PUBLIC_KEY or JWT_JWKS_URL is required in production (NODE_ENV=production or a server event store); the development key is for the embedded engine only',
      );
    if (!jwt.issuer) throw new ConfigError('JWT_ISSUER', 'is required in production');
    if (!jwt.audience) throw new ConfigError('JWT_AUDIENCE', 'is required in production');
    // Keys fetched over plain HTTP can be swapped by anyone on the path: every token would verify.
    if (jwt.jwksUrl && new URL(jwt.jwksUrl).protocol !== 'https:')
      throw new ConfigError('JWT_JWKS_URL', 'must be an https: URL in production (NODE_ENV=production or a server event store)');
    if (jwt.secret && config.eventStore === 'pglite' && jwt.secret === existingDevSecret(config.dataDir)) {
      throw new ConfigError('JWT_SECRET', 'is the development key from DATA_DIR; production needs its own');
    }
  }
  if (configured) return { verifier: await JwtVerifier.fromConfig(jwt) };
  const secret = loadOrCreateDevSecret(config.dataDir);
  const issuer = jwt.issuer ?? DEV_ISSUER;
  const audience = jwt.audience ?? DEV_AUDIENCE;
  return {
    verifier: await JwtVerifier.fromConfig({ secret, issuer, audience, publicKey: undefined, jwksUrl: undefined }),
    dev: { mint: (role, sub = `dev-${role}`) => mintToken(secret, role, sub, { issuer, audience }) },
  };
}

/** What the development engine says above its tokens. */
export const DEV_TOKENS_TITLE = 'Development tokens (signed with the development key in DATA_DIR; refused in production)';
const DEV_TOKENS_BEGIN = '----- BEGIN DROPLINE DEVELOPMENT TOKENS -----';
const DEV_TOKENS_END = '----- END DROPLINE DEVELOPMENT TOKENS -----';

/** One token per role, minted with the development key; undefined unless this is the embedded development engine. */
export async function devTokens(setup: AuthSetup): Promise<Record<Role, string> | undefined> {
  if (!setup.dev) return undefined;
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = await setup.dev.mint(role);
  return tokens;
}

/** The startup banner of the development engine: one marked block, one ready-to-paste header per role. */
export async function devTokenBanner(setup: AuthSetup): Promise<string | undefined> {
  const tokens = await devTokens(setup);
  if (!tokens) return undefined;
  const lines = [DEV_TOKENS_BEGIN, `${DEV_TOKENS_TITLE}:`];
  for (const role of ROLES) lines.push(`  ${role.padEnd(8)} Authorization: Bearer ${tokens[role]}`);
  lines.push(DEV_TOKENS_END);
  return lines.join('\n');
}
