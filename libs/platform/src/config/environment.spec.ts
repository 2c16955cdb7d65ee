import { getMetadataStorage } from 'class-validator';
import { ConfigError } from './config-error';
import { describeEnvironment, EnvironmentVariables, readEnvironment, validateEnvironment } from './environment';

function rejection(env: Record<string, string>): ConfigError {
  try {
    validateEnvironment(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('EnvironmentVariables', () => {
  it('takes the defaults of the schema for unset and empty variables', () => {
    const variables = validateEnvironment({ PORT: '', EVENT_STORE: '' });
    expect(variables).toBeInstanceOf(EnvironmentVariables);
    expect(variables).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      EVENT_STORE: 'pglite',
      KAFKA_BROKERS: [],
      RUN_RELAY: true,
      LOG_LEVEL: 'log',
      NODE_ENV: 'development',
    });
    expect(variables.DATABASE_URL).toBeUndefined();
    expect(variables.JWT_SECRET).toBeUndefined();
  });

  it('converts numbers, booleans, lists and escaped PEM newlines, and ignores variables it does not know', () => {
    const variables = validateEnvironment({
      PORT: '8080',
      RELAY_BATCH_SIZE: '1',
      KAFKA_RETENTION_DAYS: '0',
      RUN_SCHEDULER: 'false',
      RUN_PROJECTIONS: '0',
      RUN_RELAY: 'no',
      RUN_CONSUMERS: 'yes',
      KAFKA_IDEMPOTENT_PRODUCER: '1',
      KAFKA_BROKERS: ' a:9092,b.internal:9093 ,',
      JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----',
      SOMETHING_ELSE: 'x',
    });
    expect(variables).toMatchObject({
      PORT: 8080,
      RELAY_BATCH_SIZE: 1,
      KAFKA_RETENTION_DAYS: 0,
      RUN_SCHEDULER: false,
      RUN_PROJECTIONS: false,
      RUN_RELAY: false,
      RUN_CONSUMERS: true,
      KAFKA_IDEMPOTENT_PRODUCER: true,
    });
    expect(variables.KAFKA_BROKERS).toEqual(['a:9092', 'b.internal:9093']);
    expect(variables.JWT_PUBLIC_KEY).toBe('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----');
    expect(variables).not.toHaveProperty('SOMETHING_ELSE');
  });

  it.each([
    // integers: only digits, within range
    [{ PORT: 'eighty' }, 'PORT', 'must be an integer (got "eighty")'],
    [{ PORT: '1e3' }, 'PORT', 'must be an integer (got "1e3")'],
    [{ COMMAND_BATCH_SIZE: '-1' }, 'COMMAND_BATCH_SIZE', 'must be an integer (got "-1")'],
    [{ PORT: '70000' }, 'PORT', 'must be between 0 and 65535 (got 70000)'],
    [{ SCHEDULER_INTERVAL_MS: '5' }, 'SCHEDULER_INTERVAL_MS', 'must be between 10 and 3600000 (got 5)'],
    // booleans
    [{ RUN_RELAY: 'maybe' }, 'RUN_RELAY', 'must be true or false (got "maybe")'],
    // one of a list
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', 'must be one of error, warn, log, debug (got "verbose")'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', 'must be one of development, production, test (got "staging")'],
    // URLs
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', 'is not a valid URL'],
    [{ ANALYTICS_DATABASE_URL: 'mysql://h/db' }, 'ANALYTICS_DATABASE_URL', 'must start with postgres:// or postgresql://'],
    [{ JWT_JWKS_URL: 'ftp://keys' }, 'JWT_JWKS_URL', 'must start with https:// or http://'],
    // Kafka names and brokers
    [{ KAFKA_CLIENT_ID: 'a b' }, 'KAFKA_CLIENT_ID', `must be 1-249 letters, digits, '.', '_' or '-' (got "a b")`],
    [{ KAFKA_GROUP_PREFIX: 'staging/' }, 'KAFKA_GROUP_PREFIX', `must be 1-200 letters, digits, '.', '_' or '-' (got "staging/")`],
    [{ KAFKA_BROKERS: 'a:9092,localhost' }, 'KAFKA_BROKERS', 'must be a comma-separated list of host:port (got "localhost")'],
    // token settings
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET', 'must be at least 32 characters'],
    [{ JWT_PUBLIC_KEY: 'not a pem' }, 'JWT_PUBLIC_KEY', 'must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)'],
    [{ JWT_AUDIENCE: 'a b' }, 'JWT_AUDIENCE', 'must be a single token without spaces'],
  ])('rejects %j naming %s', (env, variable, problem) => {
    const error = rejection(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(`Invalid configuration: ${variable} ${problem}`);
  });

  it('names the first bad variable in table order', () => {
    expect(rejection({ ANALYTICS_PORT: 'x', PORT: 'y', LOG_LEVEL: 'z' }).variable).toBe('PORT');
  });

  it('documents every validated property, and validates every documented one', () => {
    const validated = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
        .map((m) => m.propertyName),
    );
    const documented = describeEnvironment().map((v) => v.name);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...validated].sort()).toEqual([...documented].sort());
    for (const v of describeEnvironment()) expect(v.description.length).toBeGreaterThan(0);
  });
});

describe('readEnvironment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads the schema variables from process.env, and nothing else', () => {
    process.env.PORT = '4321';
    process.env.NOT_A_SETTING = 'x';
    const env = readEnvironment();
    expect(env.PORT).toBe('4321');
    expect(env).not.toHaveProperty('NOT_A_SETTING');
    expect(Object.keys(env)).toEqual(describeEnvironment().map((v) => v.name));
  });
});

describe('ESDB_CONNECTION_STRING (checked by the client 6.2.1 parser)', () => {
  // The forms the client's documentation and parser tests show, and the ones docs/deployment.md uses.
  it.each([
    'esdb://localhost:2113?tls=false',
    'esdb://localhost',
    'esdb://admin:changeit@localhost:2113?tls=false',
    'esdb://user:pass@localhost:2114/',
    'esdb://host1,host2,host3?tls=false',
    'esdb://es1.internal:2113,es2.internal:2113,es3.internal:2113?nodePreference=leader',
    'esdb://user:pass@host1:1234,host2:4321,host3:3231?nodePreference=follower',
    'esdb+discover://a:2113,b:2113,c:2113',
    'esdb+discover://es.internal:2113?tls=true&nodePreference=leader',
    'esdb+discover://user:pass@host?nodePreference=follower&throwOnAppendFailure=false',
    'esdb://host?tlsCAFile=/etc/eventstore/ca.crt&keepAliveInterval=10000&keepAliveTimeout=10000',
    'esdb://host?maxDiscoverAttempts=200&discoveryInterval=1000&gossipTimeout=1&defaultDeadline=10000&connectionName=engine',
    'esdb://host?node_preference=ReadOnlyReplica&GOSSIP_TIMEOUT=5',
  ])('accepts %s', (value) => {
    expect(validateEnvironment({ ESDB_CONNECTION_STRING: value }).ESDB_CONNECTION_STRING).toBe(value);
  });

  it.each([
    ['garbage', 'not a connection string'],
    ['an HTTP URL', 'https://console.eventstore.cloud/'],
    ['a KurrentDB string the client refuses at start', 'kurrentdb://localhost:2113?tls=false'],
    ['a KurrentDB discovery string', 'kurrentdb+discover://a:2113,b:2113'],
    ['a misspelt scheme', 'esbd+discovery://localhost'],
    ['two ports', 'esdb://host1,host2:200:300'],
    ['a bad node preference', 'esdb://localhost?nodePreference=any'],
    ['a bad flag', 'esdb://localhost?tls=sometimes'],
    ['an option the client would ignore', 'esdb://localhost?nodePrefrence=leader'],
  ])('refuses %s in one line naming the variable, without echoing it', (_what, value) => {
    const error = rejection({ ESDB_CONNECTION_STRING: value });
    expect(error.variable).toBe('ESDB_CONNECTION_STRING');
    expect(error.message).toMatch(/^Invalid configuration: ESDB_CONNECTION_STRING /);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('does not echo credentials of a refused string', () => {
    expect(rejection({ ESDB_CONNECTION_STRING: 'esdb://admin:s3cr3t@host:2113:99' }).message).not.toContain('s3cr3t');
  });

  it('takes ESDB_DEADLINE_MS as a whole number of milliseconds, 5000 by default', () => {
    expect(validateEnvironment({}).ESDB_DEADLINE_MS).toBe(5000);
    expect(validateEnvironment({ ESDB_DEADLINE_MS: '200' }).ESDB_DEADLINE_MS).toBe(200);
    expect(rejection({ ESDB_DEADLINE_MS: '0' }).variable).toBe('ESDB_DEADLINE_MS');
    expect(rejection({ ESDB_DEADLINE_MS: '5s' }).variable).toBe('ESDB_DEADLINE_MS');
  });
});
