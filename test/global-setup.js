// Jest global setup (once per run, in the parent process; workers inherit process.env).
//  - CI=true: PostgreSQL is mandatory. A missing DATABASE_URL or a server that does not answer
//    `select 1` fails the run here instead of letting the PostgreSQL suites skip quietly.
//  - Builds (or reuses) the PGlite template and publishes it as DROPLINE_PGLITE_TEMPLATE.
'use strict';
const crypto = require('crypto');
const { buildPgliteTemplate } = require('./pglite-template');
const { setupKafkaMock } = require('./kafka-mock');

async function checkPostgres(url) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`CI=true but PostgreSQL at DATABASE_URL does not answer select 1: ${error.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

module.exports = async function globalSetup() {
  if (process.env.CI === 'true') {
    if (!process.env.DATABASE_URL) {
      throw new Error('CI=true but DATABASE_URL is not set: the PostgreSQL suites must run in CI');
    }
    await checkPostgres(process.env.DATABASE_URL);
  }
  // Test databases created in this run are named dl_<run id>_..., so teardown can drop leftovers.
  process.env.DROPLINE_TEST_RUN_ID ??= crypto.randomBytes(4).toString('hex');
  if (!process.env.DROPLINE_PGLITE_TEMPLATE) {
    process.env.DROPLINE_PGLITE_TEMPLATE = await buildPgliteTemplate();
  }
  await setupKafkaMock();
};
