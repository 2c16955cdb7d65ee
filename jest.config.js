// Test levels are separate jest projects so CI output says which level failed:
//   unit        *.spec.ts      pure code, no IO
//   integration *.int-spec.ts  real PGlite, real PostgreSQL, the Kafka wire protocol
//   e2e         *.e2e-spec.ts  HTTP against a running app (in-process or an OS process)
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false }, target: 'es2022', keepClassNames: true } }];
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
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int-spec.ts'], testTimeout: 120000 },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], testTimeout: 120000 },
  ],
};
