import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('defaults to the embedded engine on port 3000 with data under ./data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ eventStore: 'pglite', port: 3000, dataDir: './data', kafkaBrokers: [], databaseUrl: undefined });
    expect(config.run).toEqual({ scheduler: true, projections: true, relay: true, consumers: true });
  });

  it('reads server mode settings', () => {
    const config = loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093', PORT: '8080', RUN_RELAY: 'false' });
    expect(config).toMatchObject({ eventStore: 'postgres', databaseUrl: 'postgres://u@h:5432/db', kafkaBrokers: ['a:9092', 'b:9093'], port: 8080 });
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
});
