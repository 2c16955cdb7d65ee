import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('defaults to the embedded engine on port 3000 with data under ./data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ eventStore: 'pglite', port: 3000, dataDir: './data', kafkaBrokers: [], databaseUrl: undefined });
    expect(config.run).toEqual({ scheduler: true, projections: true, relay: true, consumers: true });
    expect(config.onBadEvent).toBe('stop');
    expect(loadConfig({ ON_BAD_EVENT: 'skip' }).onBadEvent).toBe('skip');
  });

  it('reads server mode settings', () => {
    const config = loadConfig({
      EVENT_STORE: 'postgres',
      DATABASE_URL: 'postgres://u@h:5432/db',
      KAFKA_BROKERS: 'a:9092, b:9093',
      PORT: '8080',
      RUN_RELAY: 'false',
    });
    expect(config).toMatchObject({
      eventStore: 'postgres',
      databaseUrl: 'postgres://u@h:5432/db',
      kafkaBrokers: ['a:9092', 'b:9093'],
      port: 8080,
    });
    expect(config.run.relay).toBe(false);
  });

  it.each([
    [{ EVENT_STORE: 'mysql' }, 'EVENT_STORE'],
    [{ EVENT_STORE: 'postgres' }, 'DATABASE_URL'],
    [{ EVENT_STORE: 'eventstoredb' }, 'ESDB_CONNECTION_STRING'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ESDB_CONNECTION_STRING: 'not a url' }, 'ESDB_CONNECTION_STRING'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ RUN_PROJECTIONS: 'maybe' }, 'RUN_PROJECTIONS'],
    [{ KAFKA_TOPIC: 'drop events' }, 'KAFKA_TOPIC'],
    [{ KAFKA_IDEMPOTENT_PRODUCER: 'sometimes' }, 'KAFKA_IDEMPOTENT_PRODUCER'],
    [{ KAFKA_TOPIC_PARTITIONS: '0' }, 'KAFKA_TOPIC_PARTITIONS'],
    [{ ENGINE_URL: 'ftp://engine' }, 'ENGINE_URL'],
    [{ FULFILLMENT_DISPATCH_SLA_DAYS: '-1' }, 'FULFILLMENT_DISPATCH_SLA_DAYS'],
    [{ ON_BAD_EVENT: 'ignore' }, 'ON_BAD_EVENT'],
    [{ DEAD_LETTER_RETENTION_DAYS: '-1' }, 'DEAD_LETTER_RETENTION_DAYS'],
    [{ LEASE_STORE: 'zookeeper' }, 'LEASE_STORE'],
    [{ LEASE_STORE: 'database' }, 'LEASE_STORE'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://h:2113?tls=false', LEASE_STORE: 'process' }, 'LEASE_STORE'],
    [{ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://u@h/db', LEASE_STORE: 'process' }, 'LEASE_STORE'],
    [{ SINGLE_INSTANCE: 'perhaps' }, 'SINGLE_INSTANCE'],
    [{ LEASE_TTL_MS: '100' }, 'LEASE_TTL_MS'],
    [{ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '500' }, 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS'],
    [{ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' }, 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS'],
    [{ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '700000' }, 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS'],
  ])('rejects %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });

  it('ends sessions idle in a transaction after 10 s by default; 0 keeps the server setting', () => {
    expect(loadConfig({}).pgIdleInTransactionTimeoutMs).toBe(10_000);
    expect(loadConfig({ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }).pgIdleInTransactionTimeoutMs).toBe(0);
    expect(loadConfig({ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '1000' }).pgIdleInTransactionTimeoutMs).toBe(1_000);
  });

  it('chooses the lease store: advisory locks with DATABASE_URL, the process when embedded, else the event store unless SINGLE_INSTANCE', () => {
    const esdb = { EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://h:2113?tls=false' };
    const pg = { DATABASE_URL: 'postgres://u@h/db' };
    expect(loadConfig({}).lease).toEqual({ store: 'process', requested: 'auto', singleInstance: false, ttlMs: 15_000 });
    expect(loadConfig({ EVENT_STORE: 'postgres', ...pg }).lease.store).toBe('database');
    expect(loadConfig({ ...pg }).lease.store).toBe('database');
    expect(loadConfig({ ...esdb, ...pg }).lease.store).toBe('database');
    expect(loadConfig({ ...esdb }).lease.store).toBe('event-store');
    expect(loadConfig({ ...esdb, SINGLE_INSTANCE: 'true' }).lease).toMatchObject({ store: 'process', singleInstance: true });
    // Forced values win where what they need is there.
    expect(loadConfig({ EVENT_STORE: 'postgres', ...pg, LEASE_STORE: 'event-store', LEASE_TTL_MS: '2000' }).lease).toEqual({
      store: 'event-store',
      requested: 'event-store',
      singleInstance: false,
      ttlMs: 2000,
    });
    expect(loadConfig({ LEASE_STORE: 'event-store' }).lease.store).toBe('event-store');
    expect(loadConfig({ ...esdb, ...pg, LEASE_STORE: 'process', SINGLE_INSTANCE: 'yes' }).lease.store).toBe('process');
    expect(loadConfig({ LEASE_STORE: 'process' }).lease.store).toBe('process');
    expect(loadConfig({ ...esdb, ...pg, LEASE_STORE: 'database' }).lease.store).toBe('database');
  });

  it('leaves the append limit to the store unless EVENT_STORE_MAX_APPEND_BYTES sets one, from 64 KiB to 256 MiB', () => {
    expect(loadConfig({}).eventStoreMaxAppendBytes).toBeUndefined();
    expect(loadConfig({ EVENT_STORE_MAX_APPEND_BYTES: '1048576' }).eventStoreMaxAppendBytes).toBe(1_048_576);
    for (const bad of ['65535', '268435457', '1MiB', '1e6']) {
      expect(() => loadConfig({ EVENT_STORE_MAX_APPEND_BYTES: bad })).toThrow(/^Invalid configuration: EVENT_STORE_MAX_APPEND_BYTES /);
    }
  });

  it('defaults the Kafka fan-out to strict producers and the documented topics', () => {
    const config = loadConfig({});
    expect(config.kafka).toEqual({
      clientId: 'dropline',
      topic: 'dropline.drop-events.v1',
      deadLetterTopic: 'dropline.drop-events.dead-letters.v1',
      groupPrefix: '',
      idempotentProducer: true,
      ceSource: '/dropline/engine',
      relayBatchSize: 500,
      partitions: 12,
      replicationFactor: 3,
      retentionDays: 30,
      deadLetterRetentionDays: 90,
    });
    expect(config.fulfillment).toEqual({ databaseUrl: undefined, port: 3001, dispatchSlaDays: 3 });
    expect(config.engineUrl).toBe('http://localhost:3000');
    expect(config.deadLetterRetentionDays).toBe(90);
    expect(loadConfig({ DEAD_LETTER_RETENTION_DAYS: '0' }).deadLetterRetentionDays).toBe(0);
  });

  it('reads Kafka and consumer settings, and gives the consumers the shared database unless told otherwise', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      KAFKA_TOPIC: 'drops.v2',
      KAFKA_IDEMPOTENT_PRODUCER: 'false',
      KAFKA_TOPIC_PARTITIONS: '24',
      KAFKA_RETENTION_DAYS: '0',
      ANALYTICS_DATABASE_URL: 'postgres://u@h/analytics',
      ENGINE_URL: 'https://engine.internal',
      ENGINE_SERVICE_TOKEN: 's3cret',
      FULFILLMENT_DISPATCH_SLA_DAYS: '5',
    });
    expect(config.kafka).toMatchObject({ topic: 'drops.v2', groupPrefix: '', idempotentProducer: false, partitions: 24, retentionDays: 0 });
    expect(loadConfig({ KAFKA_GROUP_PREFIX: 'staging.' }).kafka.groupPrefix).toBe('staging.');
    expect(config.fulfillment).toEqual({ databaseUrl: 'postgres://u@h/db', port: 3001, dispatchSlaDays: 5 });
    expect(config.analytics.databaseUrl).toBe('postgres://u@h/analytics');
    expect(config).toMatchObject({ engineUrl: 'https://engine.internal', engineServiceToken: 's3cret' });
  });
});

describe('loadConfig: the HTTP edge', () => {
  it('defaults to rate limits on, no trusted proxy, the documented timeouts, and a cap sized at start', () => {
    expect(loadConfig({}).http).toEqual({
      trustedProxies: [],
      rateLimit: { enabled: true, windowMs: 60_000, anonymous: 1200, authenticated: 6000, authFailures: 30 },
      maxConnections: undefined,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      maxRequestsPerSocket: 10_000,
    });
  });

  it('reads trusted proxies as addresses or CIDR ranges, and refuses anything else naming it', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1, fd00::/8' }).http.trustedProxies).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['loadbalancer', '10.0.0.0/33', '10.0.0.1/8/1', '*']) {
      const error = (() => {
        try {
          return loadConfig({ TRUSTED_PROXIES: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('TRUSTED_PROXIES');
    }
  });

  it('refuses a header timeout longer than the request timeout', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: '50', RATE_LIMIT_ENABLED: 'false' }).http).toMatchObject({
      maxConnections: 50,
      rateLimit: { enabled: false },
    });
  });
});

describe('loadConfig: bearer-token verification', () => {
  const secret = 's'.repeat(32);
  const pem = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';

  it('reads a secret with issuer and audience, and leaves everything unset by default', () => {
    expect(loadConfig({}).jwt).toEqual({
      secret: undefined,
      publicKey: undefined,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
    });
    expect(loadConfig({ JWT_SECRET: secret, JWT_ISSUER: 'https://id.example/', JWT_AUDIENCE: 'dropline' }).jwt).toMatchObject({
      secret,
      issuer: 'https://id.example/',
      audience: 'dropline',
    });
  });

  it('accepts a PEM public key with escaped newlines, or a JWKS URL', () => {
    expect(loadConfig({ JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).jwt.publicKey).toBe(pem);
    expect(loadConfig({ JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' }).jwt.jwksUrl).toBe(
      'https://id.example/.well-known/jwks.json',
    );
  });

  it.each([
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_PUBLIC_KEY: 'not a pem' }, 'JWT_PUBLIC_KEY'],
    [{ JWT_JWKS_URL: 'ftp://keys' }, 'JWT_JWKS_URL'],
    [{ JWT_SECRET: 's'.repeat(32), JWT_JWKS_URL: 'https://id.example/jwks' }, 'JWT_JWKS_URL'],
    [{ JWT_ISSUER: 'two words' }, 'JWT_ISSUER'],
    [{ JWT_AUDIENCE: 'a b' }, 'JWT_AUDIENCE'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (e) {
      expect((e as ConfigError).variable).toBe(variable);
    }
  });
});
