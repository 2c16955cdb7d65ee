import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { EMBEDDED_START_PARAMS, openEmbeddedDatabase, type EmbeddedDatabase } from '@dropline/event-store';

/**
 * An in-memory PGlite loaded from the per-run template (test/global-setup.js), with the schema of
 * every file in test/template-sql-files.js already applied, behind the same single-connection
 * pool and PostgreSQL settings production uses. Close it in afterAll: each instance holds 150-300 MB.
 */
export async function createTestEmbeddedDatabase(): Promise<EmbeddedDatabase> {
  const template = process.env.DROPLINE_PGLITE_TEMPLATE;
  if (!template) {
    throw new Error('DROPLINE_PGLITE_TEMPLATE is not set: run tests through jest (test/global-setup.js builds the template)');
  }
  const pglite = new PGlite({ loadDataDir: new Blob([readFileSync(template)]), startParams: [...EMBEDDED_START_PARAMS] });
  return openEmbeddedDatabase(pglite);
}
