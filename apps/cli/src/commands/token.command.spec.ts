import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_FILE, JwtVerifier, loadConfig, loadOrCreateDevSecret, setUpAuth } from '@dropline/platform';
import { runCli } from '../main';
import { capturedIo as io } from '../testing/captured-io';

describe('dropline token', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'dropline-token-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints only a token that the embedded engine accepts, signed with the development key in DATA_DIR', async () => {
    // The engine makes the key at its first start, and verifies with it.
    const engine = await setUpAuth(loadConfig({ DATA_DIR: dataDir }));
    const cli = io({ DATA_DIR: dataDir });
    expect(await runCli(['token', '--role', 'ops'], cli)).toBe(0);
    const token = cli.out().trim();
    expect(cli.out()).toBe(`${token}\n`);
    expect(token.split('.')).toHaveLength(3);
    expect(await engine.verifier.verify(token)).toEqual({ sub: 'dev-ops', roles: ['ops'] });
    const secret = readFileSync(join(dataDir, DEV_KEY_FILE), 'utf8').trim();
    const verifier = await JwtVerifier.fromConfig({
      secret,
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      publicKey: undefined,
      jwksUrl: undefined,
    });
    const again = io({ DATA_DIR: dataDir });
    await runCli(['token', '--role', 'customer', '--sub', 'c-123'], again);
    expect(await verifier.verify(again.out().trim())).toEqual({ sub: 'c-123', roles: ['customer'] });
  });

  it('refuses, exit 2 naming DATA_DIR, when DATA_DIR holds no development key; creates nothing', async () => {
    const missing = join(dataDir, 'never-started');
    for (const env of [{ DATA_DIR: missing }, { DATA_DIR: dataDir }]) {
      const cli = io(env);
      expect(await runCli(['token', '--role', 'ops'], cli)).toBe(2);
      expect(cli.out()).toBe('');
      expect(cli.err()).toContain(`no development key in DATA_DIR ${env.DATA_DIR}`);
      expect(cli.err()).toContain('JWT_SECRET');
    }
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses the development key where the engine would (a server event store), exit 2', async () => {
    loadOrCreateDevSecret(dataDir);
    const cli = io({ DATA_DIR: dataDir, EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://localhost/x' });
    expect(await runCli(['token', '--role', 'ops'], cli)).toBe(2);
    expect(cli.out()).toBe('');
    expect(cli.err()).toContain('JWT_SECRET');
  });

  it('signs with the configured JWT_SECRET, issuer and audience when they are set', async () => {
    const env = { DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dropline' };
    const cli = io(env);
    expect(await runCli(['token', '--role', 'analyst'], cli)).toBe(0);
    const verifier = await JwtVerifier.fromConfig({
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      publicKey: undefined,
      jwksUrl: undefined,
    });
    expect((await verifier.verify(cli.out().trim())).roles).toEqual(['analyst']);
  });

  it('mints a long-lived service token (ENGINE_SERVICE_TOKEN) with --expires-in 365d', async () => {
    const env = { DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dropline' };
    const cli = io(env);
    expect(await runCli(['token', '--role', 'service', '--sub', 'fulfillment', '--expires-in', '365d'], cli)).toBe(0);
    const token = cli.out().trim();
    const { exp, iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number; iat: number };
    expect(exp - iat).toBe(365 * 24 * 3600);
    const verifier = await JwtVerifier.fromConfig({
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      publicKey: undefined,
      jwksUrl: undefined,
    });
    expect(await verifier.verify(token)).toEqual({ sub: 'fulfillment', roles: ['service'] });
  });

  it.each([
    ['1y', 31_557_600],
    ['400d', 400 * 86_400],
  ])('mints up to the 400-day cap: --expires-in %s', async (expiresIn, lifetime) => {
    const cli = io({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dropline' });
    expect(await runCli(['token', '--role', 'metrics', '--expires-in', expiresIn], cli)).toBe(0);
    const { exp, iat } = JSON.parse(Buffer.from(cli.out().trim().split('.')[1], 'base64url').toString()) as { exp: number; iat: number };
    expect(exp - iat).toBe(lifetime);
  });

  it.each(['', 'forever', '-1h', '0d', '5 minutes ago', '30', '401d', '2y', '58w', '3650d', '999999h'])(
    'refuses --expires-in %j with the usage, exit 2 (every token expires, in the future, within 400 days)',
    async (expiresIn) => {
      const cli = io({ DATA_DIR: dataDir });
      expect(await runCli(['token', '--role', 'service', `--expires-in=${expiresIn}`], cli)).toBe(2);
      expect(cli.out()).toBe('');
      expect(cli.err()).toContain('--expires-in must be');
    },
  );

  it('puts --city into the token as its city claim, which the engine reads onto the principal', async () => {
    const env = { DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dropline' };
    const cli = io(env);
    expect(await runCli(['token', '--role', 'customer', '--sub', 'c-7', '--city', 'Bristol'], cli)).toBe(0);
    const verifier = await JwtVerifier.fromConfig({
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      publicKey: undefined,
      jwksUrl: undefined,
    });
    expect(await verifier.verify(cli.out().trim())).toEqual({ sub: 'c-7', roles: ['customer'], city: 'Bristol' });
  });

  it.each(['', '   ', 'x'.repeat(65), 'Bris\ttol'])('refuses --city %j with the usage, exit 2, minting nothing', async (city) => {
    const cli = io({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dropline' });
    expect(await runCli(['token', '--role', 'customer', `--city=${city}`], cli)).toBe(2);
    expect(cli.out()).toBe('');
    expect(cli.err()).toContain('--city must be');
  });

  it('rejects an unknown role with the usage, exit 2', async () => {
    const cli = io({ DATA_DIR: dataDir });
    expect(await runCli(['token', '--role', 'admin'], cli)).toBe(2);
    expect(cli.out()).toBe('');
    expect(cli.err()).toContain('--role must be one of');
  });
});
