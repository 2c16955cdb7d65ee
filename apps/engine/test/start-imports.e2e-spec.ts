import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { testAuthEnv } from '../../../libs/platform/src/testing/test-auth';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * What loading the BUILT engine app requires (`npm run build`): the EventStoreDB client and
 * kafkajs are loaded only in the modes that use them (openEventStoreDb, createKafka, the
 * connection-string check), not by every start (~250 ms of module loading together); yaml only
 * when the AsyncAPI document is rendered, pino-pretty only for pretty logs (~100 modules).
 */
describe('engine start: modules loaded only when their mode is configured', () => {
  it('loads neither the EventStoreDB client, kafkajs, yaml nor pino-pretty with the app', () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, 'dist/apps/engine/src/app.js'))});
      const loaded = Object.keys(require.cache);
      process.stdout.write(JSON.stringify({
        esdb: loaded.some((f) => f.includes('/node_modules/@eventstore/db-client/')),
        kafkajs: loaded.some((f) => f.includes('/node_modules/kafkajs/')),
        yaml: loaded.some((f) => f.includes('/node_modules/yaml/')),
        pinoPretty: loaded.some((f) => f.includes('/node_modules/pino-pretty/')),
        fastify: loaded.some((f) => f.includes('/node_modules/fastify/')),
      }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
    // fastify proves the probe sees the app's modules at all.
    expect(out).toEqual({ esdb: false, kafkajs: false, yaml: false, pinoPretty: false, fastify: true });
  });
});

describeWithPostgres('engine start: Fastify’s JSON-schema compilers', () => {
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('start_imports');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('builds the app without Fastify’s JSON-schema compilers (ajv, fast-json-stringify): no route declares a schema', () => {
    // The whole app, initialised as a start does (routes registered, security headers probed).
    const env = { ...testAuthEnv(), EVENT_STORE: 'postgres', DATABASE_URL: db.url, LOG_LEVEL: 'error', PORT: '0', HOST: '127.0.0.1' };
    const script = `
        const { loadConfig } = require(${JSON.stringify(path.join(ROOT, 'dist/libs/platform/src/index.js'))});
        const { createEngine } = require(${JSON.stringify(path.join(ROOT, 'dist/apps/engine/src/app.js'))});
        (async () => {
          const app = await createEngine(loadConfig(${JSON.stringify(env)}));
          await app.init();
          const loaded = Object.keys(require.cache);
          await app.close();
          process.stdout.write(JSON.stringify({
            ajv: loaded.some((f) => f.includes('/node_modules/ajv/')),
            ajvCompiler: loaded.some((f) => f.includes('/node_modules/@fastify/ajv-compiler/')),
            serializerCompiler: loaded.some((f) => f.includes('/node_modules/@fastify/fast-json-stringify-compiler/')),
            routes: app.getHttpAdapter().getInstance().hasRoute({ method: 'GET', url: '/drops' }),
          }));
        })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 }));
    // routes proves the app was built and its routes registered.
    expect(out).toEqual({ ajv: false, ajvCompiler: false, serializerCompiler: false, routes: true });
  }, 120_000);
});
