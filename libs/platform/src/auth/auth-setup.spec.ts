import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/app-config';
import { devTokenBanner, devTokens, setUpAuth } from './auth-setup';
import { DEV_KEY_FILE } from './dev-key';

describe('setUpAuth', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'dropline-auth-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const secret = 'x'.repeat(40);

  it('generates the development key once into DATA_DIR and mints tokens it verifies', async () => {
    const config = loadConfig({ DATA_DIR: dir });
    const first = await setUpAuth(config);
    const key = readFileSync(path.join(dir, DEV_KEY_FILE), 'utf8');
    const second = await setUpAuth(config);
    expect(readFileSync(path.join(dir, DEV_KEY_FILE), 'utf8')).toBe(key);
    const token = await first.dev!.mint('analyst');
    await expect(second.verifier.verify(token)).resolves.toEqual({ sub: 'dev-analyst', roles: ['analyst'] });
  });

  it.each([
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://h/db' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: secret }, 'JWT_ISSUER'],
    [{ NODE_ENV: 'production', JWT_SECRET: secret, JWT_ISSUER: 'iss' }, 'JWT_AUDIENCE'],
    [{ NODE_ENV: 'production', JWT_JWKS_URL: 'http://idp.example/jwks.json', JWT_ISSUER: 'iss', JWT_AUDIENCE: 'aud' }, 'JWT_JWKS_URL'],
    [
      { EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://h/db', JWT_JWKS_URL: 'http://idp/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' },
      'JWT_JWKS_URL',
    ],
  ])('refuses production %j naming %s', async (env, variable) => {
    const error = await setUpAuth(loadConfig({ DATA_DIR: dir, ...env })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });

  it('refuses the development key in production', async () => {
    await setUpAuth(loadConfig({ DATA_DIR: dir }));
    const devSecret = readFileSync(path.join(dir, DEV_KEY_FILE), 'utf8').trim();
    const error = await setUpAuth(
      loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: devSecret, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }),
    ).catch((e: unknown) => e);
    expect((error as ConfigError).variable).toBe('JWT_SECRET');
  });

  it('starts in production with its own key, issuer and audience, and no development tokens', async () => {
    const setup = await setUpAuth(
      loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: secret, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }),
    );
    expect(setup.dev).toBeUndefined();
    expect(await devTokenBanner(setup)).toBeUndefined();
    expect(await devTokens(setup)).toBeUndefined();
  });

  it('shows the development tokens as one marked block, one verifiable token per role', async () => {
    const setup = await setUpAuth(loadConfig({ DATA_DIR: dir }));
    const lines = (await devTokenBanner(setup))!.split('\n');
    expect(lines[0]).toBe('----- BEGIN DROPLINE DEVELOPMENT TOKENS -----');
    expect(lines.at(-1)).toBe('----- END DROPLINE DEVELOPMENT TOKENS -----');
    const tokens = lines.slice(2, -1).map((line) => /^ {2}(\w+) +Authorization: Bearer (\S+)$/.exec(line)!);
    expect(tokens.map(([, role]) => role)).toEqual(['ops', 'analyst', 'customer', 'till', 'service', 'metrics']);
    for (const [, role, token] of tokens) await expect(setup.verifier.verify(token)).resolves.toMatchObject({ roles: [role] });
  });
});
