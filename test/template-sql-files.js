// SQL files baked into the PGlite test template (and run on every fresh PostgreSQL test database),
// in order, before the read-model migrations (libs/projections/src/typeorm/read-models.migrations.ts),
// which both also apply. Each file must be idempotent (IF NOT EXISTS, CREATE OR REPLACE). Read-model tables are
// TypeORM entities with generated migrations (docs/read-models.md), never a file here.
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..');

module.exports = [path.join(root, 'libs/event-store/src/schema.sql')];
