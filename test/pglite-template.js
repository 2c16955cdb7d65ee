// Builds the PGlite template that test files load instead of running initdb themselves
// (a fresh PGlite costs seconds and hundreds of MB; loading a dump costs about one second).
// Plain CommonJS, loaded by jest's global setup. While global setup runs, jest's require hook
// transforms the TypeScript this file requires (the read-model migrations and the embedded pool);
// those modules must import by relative path, since jest's moduleNameMapper (@dropline/*) does not
// apply here.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const sqlFiles = require('./template-sql-files');

const TEMPLATE_PREFIX = 'dropline-pglite-template-';
const ROOT = path.resolve(__dirname, '..');
const READ_MODELS_TYPEORM = path.join(ROOT, 'libs/projections/src/typeorm');

/** The sources the read-model migrations come from: a change to any of them builds a new template. */
function readModelMigrationSources() {
  const files = [
    path.join(READ_MODELS_TYPEORM, 'read-models.data-source.ts'),
    path.join(READ_MODELS_TYPEORM, 'read-models.migrations.ts'),
    ...fs
      .readdirSync(path.join(READ_MODELS_TYPEORM, 'migrations'))
      .sort()
      .map((f) => path.join(READ_MODELS_TYPEORM, 'migrations', f)),
  ];
  return files.map((file) => fs.readFileSync(file, 'utf8'));
}

/**
 * Returns the path of a gzip'd PGlite data-dir dump with every file of template-sql-files.js and
 * then the read-model migrations applied (the same TypeORM code path an engine runs at start).
 * The file name carries a hash of the SQL, the migrations and the PGlite version, so a rerun with
 * unchanged schema reuses the previous dump and a changed schema builds a new one.
 */
async function buildPgliteTemplate() {
  // package.json is not in the package's "exports": read it from next to the resolved entry.
  const entry = require.resolve('@electric-sql/pglite');
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
  const sql = sqlFiles.map((file) => fs.readFileSync(file, 'utf8'));
  const hash = crypto
    .createHash('sha256')
    .update(version)
    .update(JSON.stringify(sql))
    .update(JSON.stringify(readModelMigrationSources()))
    .digest('hex')
    .slice(0, 16);
  const target = path.join(os.tmpdir(), `${TEMPLATE_PREFIX}${hash}.tar.gz`);
  if (fs.existsSync(target)) return target;

  const { PGlite } = require('@electric-sql/pglite');
  const db = new PGlite();
  try {
    await db.waitReady;
    for (let i = 0; i < sql.length; i += 1) {
      try {
        await db.exec(sql[i]);
      } catch (error) {
        throw new Error(`PGlite template: ${sqlFiles[i]} failed: ${error.message}`);
      }
    }
    await applyReadModelMigrations(db);
    const dump = await db.dumpDataDir('gzip');
    // Write then rename, so a concurrent run never loads a half-written file.
    const partial = `${target}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, target);
  } finally {
    await db.close();
  }
  removeStaleTemplates(target);
  return target;
}

/** Runs the read-model migrations over the PGlite, through the one-connection pool the engine uses. */
async function applyReadModelMigrations(pglite) {
  const { openEmbeddedDatabase } = require('../libs/event-store/src/postgres/embedded-database');
  const { openReadModels } = require('../libs/projections/src/typeorm/read-models.data-source');
  const embedded = await openEmbeddedDatabase(pglite);
  try {
    await (await openReadModels(embedded.pool)).destroy();
  } catch (error) {
    throw new Error(`PGlite template: read-model migrations failed: ${error.message}`);
  } finally {
    // Ends the pool only: the caller dumps and closes the PGlite itself.
    await embedded.pool.end();
  }
}

function removeStaleTemplates(keep) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const file = path.join(os.tmpdir(), name);
    if (name.startsWith(TEMPLATE_PREFIX) && file !== keep && !name.endsWith('.partial')) {
      fs.rmSync(file, { force: true });
    }
  }
}

module.exports = { buildPgliteTemplate };
