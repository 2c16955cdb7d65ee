// tsconfig uses moduleResolution "node", which ignores package.json "exports", so the
// `@electric-sql/pglite/node-postgres` subpath has no types without this bridge. Node and jest
// resolve the subpath through "exports" at runtime.
declare module '@electric-sql/pglite/node-postgres' {
  export * from '@electric-sql/pglite/dist/node-postgres/index';
}
