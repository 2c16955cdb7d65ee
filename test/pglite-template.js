// Builds the PGlite template that test files load instead of running initdb themselves
// (a fresh PGlite costs seconds and hundreds of MB; loading a dump costs about one second).
// Plain CommonJS: jest runs global setup before any TypeScript transform is available.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const sqlFiles = require('./template-sql-files');

const TEMPLATE_PREFIX = 'dropline-pglite-template-';

/**
 * Returns the path of a gzip'd PGlite data-dir dump with every file of template-sql-files.js applied.
 * The file name carries a hash of the SQL and the PGlite version, so a rerun with unchanged
 * schema reuses the previous dump and a changed schema builds a new one.
 */
async function buildPgliteTemplate() {
  // package.json is not in the package's "exports": read it from next to the resolved entry.
  const entry = require.resolve('@electric-sql/pglite');
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
  const sql = sqlFiles.map((file) => fs.readFileSync(file, 'utf8'));
  const hash = crypto.createHash('sha256').update(version).update(JSON.stringify(sql)).digest('hex').slice(0, 16);
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

function removeStaleTemplates(keep) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const file = path.join(os.tmpdir(), name);
    if (name.startsWith(TEMPLATE_PREFIX) && file !== keep && !name.endsWith('.partial')) {
      fs.rmSync(file, { force: true });
    }
  }
}

module.exports = { buildPgliteTemplate };
