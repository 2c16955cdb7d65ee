import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliCommand, UsageError } from '../cli-command';

/** A positive duration: 90s, 15m, 12h, 30d, 52w, 1y. Every token expires; the engine refuses one without exp. */
const EXPIRES_IN = /^[1-9][0-9]{0,5}[smhdwy]$/;
/** The longest lifetime it mints: a bit over a year, so a yearly rotation fits and a typo (3650d, 10y) does not mint a token for a decade. */
const MAX_EXPIRES_IN_SECONDS = 400 * 86_400;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800, y: 31_557_600 };
const seconds = (duration: string) => Number(duration.slice(0, -1)) * UNIT_SECONDS[duration.slice(-1)];

export const command: CliCommand = {
  name: 'token',
  summary: 'mint a bearer token for a role (development key in DATA_DIR, or the configured JWT_SECRET); prints only the token',
  usage: [
    'dropline token --role <ops|analyst|customer|till|service|metrics> [--sub <subject>] [--expires-in <30d>] [--city <city>]',
    '    --expires-in: a number and s, m, h, d, w or y (default 30d, at most 400d; e.g. --role service --expires-in 365d for ENGINE_SERVICE_TOKEN)',
    "    --city: the token's city claim (1-64 characters): a customer of that city may buy in a drop's city phase",
  ].join('\n'),
  async run(argv, context) {
    const { values } = parseArgs({
      args: argv,
      options: { role: { type: 'string' }, sub: { type: 'string' }, 'expires-in': { type: 'string' }, city: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    // Loaded lazily: the other subcommands should not pay for jose or the engine's config.
    const { ROLES, isRole } = await import('@dropline/platform');
    const { existingDevSecret, mintToken, DEV_ISSUER, DEV_AUDIENCE, DEV_KEY_FILE } = await import('@dropline/platform');
    const { isProduction, loadConfig, readEnvironment, cityProblem, MAX_CITY_LENGTH } = await import('@dropline/platform');
    if (!values.role) throw new UsageError('--role is required');
    if (!isRole(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if (values.sub !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(values.sub))
      throw new UsageError('--sub must be 1-128 letters, digits, or . _ : @ -');
    if (values['expires-in'] !== undefined && !EXPIRES_IN.test(values['expires-in']))
      throw new UsageError('--expires-in must be a positive number and s, m, h, d, w or y (e.g. 12h, 30d, 365d)');
    if (values['expires-in'] !== undefined && seconds(values['expires-in']) > MAX_EXPIRES_IN_SECONDS)
      throw new UsageError('--expires-in must be at most 400d: a token cannot be revoked, only outlived (rotate long-lived ones yearly)');
    // The engine refuses a token whose city claim breaks its rule (401, field city): never mint one.
    if (values.city !== undefined && cityProblem(values.city) !== undefined)
      throw new UsageError(`--city must be 1-${MAX_CITY_LENGTH} characters, not only spaces, without control characters`);
    const env = context.env ?? readEnvironment();
    const config = loadConfig(env);
    if (config.jwt.publicKey || config.jwt.jwksUrl) {
      context.stderr.write('the engine verifies RS256 tokens (JWT_PUBLIC_KEY / JWT_JWKS_URL): mint them with your identity provider\n');
      return 1;
    }
    if (!config.jwt.secret && isProduction(config)) {
      context.stderr.write(
        'dropline token: in production (NODE_ENV=production or a server event store) the engine refuses the development key: set JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE as the engine has them\n',
      );
      return 2;
    }
    // The engine's development key, read only: DATA_DIR as the engine reads it (relative to the working
    // directory, the package root under npm). A key made here would be one the engine does not know.
    const dataDir = resolve(config.dataDir);
    const secret = config.jwt.secret ?? existingDevSecret(dataDir);
    if (!secret) {
      context.stderr.write(
        `dropline token: no development key in DATA_DIR ${dataDir}${env.DATA_DIR ? '' : ' (DATA_DIR unset: the default ./data)'}: ${join(dataDir, DEV_KEY_FILE)} does not exist.\n` +
          "Start the engine once with this DATA_DIR (it makes the key there), point DATA_DIR at the engine's, or set JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE as the engine has them.\n",
      );
      return 2;
    }
    const token = await mintToken(secret, values.role, values.sub ?? `dev-${values.role}`, {
      issuer: config.jwt.issuer ?? DEV_ISSUER,
      audience: config.jwt.audience ?? DEV_AUDIENCE,
      ...(values['expires-in'] ? { expiresIn: values['expires-in'] } : {}),
      ...(values.city !== undefined ? { city: values.city } : {}),
    });
    context.stdout.write(`${token}\n`);
    return 0;
  },
};
