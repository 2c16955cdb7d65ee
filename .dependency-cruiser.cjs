/**
 * Dependency rules (domain-driven-hexagon's .dependency-cruiser.js, cut to this repository):
 * apps compose libs and never import each other; libs never import apps; the domain imports
 * nothing outside itself. `npm run lint` runs them; test/lint-rules.int-spec.ts checks that each
 * rule fires on a fixture that breaks it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment: 'An app composes libs; what two apps share belongs in a lib.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      comment: 'Libs are reusable by every app, so they cannot depend on one.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'domain-is-pure',
      comment:
        'libs/domain is plain TypeScript: no framework, no IO, no other lib. node:crypto is allowed for its deterministic hashes (ids derived from idempotency keys); tests of the domain may read files.',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: '[.]spec[.]ts$' },
      to: { pathNot: '^(libs/domain/|crypto$)' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
  },
};
