// The read models' DataSource for the TypeORM CLI (`typeorm -d tools/read-models.data-source.js …`),
// over a scratch PostgreSQL database. Used by tools/generate-read-model-migration.js, which first
// compiles libs/projections/src/typeorm to .tmp/read-model-migrations (the CLI cannot load TypeScript
// here: ts-node is not a dependency). Never point READ_MODELS_GEN_URL at a database you keep.
'use strict';
const path = require('node:path');
const { DataSource } = require('typeorm');

const COMPILED = path.join(__dirname, '..', '.tmp', 'read-model-migrations', 'libs', 'projections', 'src', 'typeorm');
const { readModelsDataSourceOptions } = require(path.join(COMPILED, 'read-models.data-source.js'));

const GEN_URL = process.env.READ_MODELS_GEN_URL ?? 'postgres://postgres@127.0.0.1:5432/rm_gen';

module.exports = { GEN_URL, dataSource: new DataSource({ ...readModelsDataSourceOptions(), url: GEN_URL }) };
