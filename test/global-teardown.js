// Jest global teardown: drops PostgreSQL test databases of this run that a crashed or
// interrupted test file left behind (each file normally drops its own in afterAll).
// The PGlite template stays in os.tmpdir() for the next run (its name is a hash of the schema).
'use strict';
const { teardownKafkaMock } = require('./kafka-mock');

module.exports = async function globalTeardown() {
  await teardownKafkaMock();
  const url = process.env.DATABASE_URL;
  const runId = process.env.DROPLINE_TEST_RUN_ID;
  if (!url || !runId) return;
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`dl\\_${runId}\\_%`]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } catch {
    // Unreachable server: global setup already reported it where it matters (CI).
  } finally {
    await client.end().catch(() => undefined);
  }
};
