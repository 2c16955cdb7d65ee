// Test levels are separate jest projects so CI output says which level failed:
//   unit        *.spec.ts      pure code, no IO
//   integration *.int-spec.ts  real PGlite, real PostgreSQL, the Kafka wire protocol
//   e2e         *.e2e-spec.ts  HTTP against a running app (in-process or an OS process)
//   chaos       *.chaos-spec.ts  kill -9, outages, two instances: OS processes under load; run them
//               alone, after the other projects. npm test runs two suites at a time at CI sizes
//               (`--selectProjects chaos -w 2`: they wait on pauses, outages and lease expiries far more
//               than they compute, about 45 s of CPU in 150 s serially); npm run chaos runs the full
//               sizes serially (`--runInBand`).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@dropline/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts', '^@dropline/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2' },
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
};
module.exports = {
  maxWorkers: 2,
  // testTimeout is a global option in jest 30 (ignored per project): e2e and chaos tests drive real processes.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int-spec.ts'], testTimeout: 120000 },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], testTimeout: 120000 },
    { ...common, displayName: 'chaos', testMatch: ['**/*.chaos-spec.ts'], testTimeout: 600000 },
  ],
};
