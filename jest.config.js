// Three tiers: unit specs beside the code; the engine against a real Postgres (test/integration); end-to-end specs under test/ against real services.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  moduleNameMapper: {
    // Jest cannot load NestJS 12 (ESM only): specs that import a file beside a Nest module get a stand-in (see the file).
    '^@nestjs/(common|core|config|swagger)$': '<rootDir>/test/support/nest-shim.js',
    ...pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  },
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/packages'], testMatch: ['**/*.spec.ts'] },
    // The engine and its repository against the real Postgres, with runners the spec drives (no processes spawned).
    { ...shared, displayName: 'integration', roots: ['<rootDir>/test/integration'], testMatch: ['**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', roots: ['<rootDir>/test'], testMatch: ['**/*.e2e-spec.ts'], testTimeout: 60000 },
    // Failover and multi-host drills: engines of their own (Redis Sentinel and Cluster, a PostgreSQL standby), hosts in network namespaces (root).
    { ...shared, displayName: 'drills', roots: ['<rootDir>/test'], testMatch: ['**/*.drill-spec.ts'], testTimeout: 120000 },
  ],
};
