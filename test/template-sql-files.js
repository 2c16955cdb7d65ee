// SQL files baked into the PGlite test template (and run on every fresh PostgreSQL test database),
// in order. Each must be idempotent (IF NOT EXISTS). To give tests more tables, append a file here.
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..');

module.exports = [path.join(root, 'libs/event-store/src/schema.sql'), path.join(root, 'libs/projections/src/sql/read-models.sql')];
