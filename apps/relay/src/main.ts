import './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createPostgresPool, PostgresEventStore } from '@dropline/event-store';
import {
  ConfigError,
  createServiceApp,
  extendClose,
  loadConfigOrExit,
  readEnvironment,
  stopOnSignals,
  useBootLogger,
} from '@dropline/platform';
import { RelayModule } from './relay.module';

/** Event store → Kafka as its own OS process. Needs KAFKA_BROKERS and the PostgreSQL store. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(readEnvironment(), (config) => {
    if (config.kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'is required to run the relay');
    if (config.eventStore !== 'postgres')
      throw new ConfigError('EVENT_STORE', 'must be postgres for a relay outside the engine (the embedded store belongs to one process)');
  });
  useBootLogger(config, 'relay');
  const pool = createPostgresPool(config.databaseUrl!, {
    connectionTimeoutMillis: config.storeConnectTimeoutMs,
    idleInTransactionTimeoutMillis: config.pgIdleInTransactionTimeoutMs,
    // How pg_stat_activity and the give-way log lines name its sessions.
    applicationName: 'dropline-relay',
  });
  const store = new PostgresEventStore(pool);
  // Probes for an orchestrator: live while the process answers, ready while the store's database
  // answers and a broker accepts connections (the relay of a standby instance is ready to take over).
  const app = await createServiceApp(config, 'relay', RelayModule.forRoot({ config, store, pool }), {
    pool,
    kafkaBrokers: config.kafkaBrokers,
    timeoutMs: config.storeConnectTimeoutMs + 500,
  });
  extendClose(app, {
    after: async () => {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  });
  // Started (checkpoint migrations, the relay's supervisor) before a signal may close it.
  await app.init();
  stopOnSignals(app, 'relay');
  await app.listen(config.relay.port, config.host);
  new Logger('Relay').log(
    `relaying the event store to ${config.kafka.topic} on ${config.kafkaBrokers.join(',')}; health on port ${config.relay.port}`,
  );
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Dropline relay failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
