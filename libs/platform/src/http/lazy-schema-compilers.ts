import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;

/** Requires what Fastify itself would: its own dependency, at the version it was released with. */
const fromFastify = createRequire(require.resolve('fastify'));

let validator: BuildValidator | undefined;
let serializer: BuildSerializer | undefined;

/**
 * Fastify's JSON-schema compilers (ajv and fast-json-stringify), required when a route with a
 * schema is first compiled rather than when Fastify is created. No Dropline route declares one:
 * class-validator's compiled validation guards every input, and answers are serialised by Nest.
 * Fastify required both at creation, for the app and for the security headers' probe instance:
 * 113 of a start's modules, 31–48 ms and about 2 MiB of heap (docs/benchmarks.md, "Issue 18:
 * startup and memory"). A route that does declare a schema gets the same compilers, built once,
 * as Fastify would have used.
 */
export const lazySchemaCompilers: CompilersFactory = {
  buildValidator: (externalSchemas, options) => {
    validator ??= (fromFastify('@fastify/ajv-compiler') as () => BuildValidator)();
    return validator(externalSchemas, options);
  },
  buildSerializer: (externalSchemas, options) => {
    serializer ??= (fromFastify('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)();
    return serializer(externalSchemas, options);
  },
};
