import { execFileSync } from 'node:child_process';
import path from 'node:path';

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
