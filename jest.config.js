// Jest projects: unit (beside the source), integration (real PostgreSQL and nats-server started once
// by tests/support/globalSetup), end-to-end (boots the platform through the `npm start` launcher),
// and charts (helm lint/template over the charts). TypeScript is compiled by swc, without type
// checking (`npm run typecheck` does that).
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
// ESM-only packages Jest must compile to CommonJS (Node itself loads them with require(esm)).
const esmPackages = [
  'jose',
  'uuid',
  '@keycloak/keycloak-admin-client',
  '@microsoft',
  'camelize-ts',
  'url-template',
  'pg-boss',
  'serialize-error',
  'non-error',
];
const common = {
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],

  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['parley-source', 'node', 'require', 'default'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  testTimeout: 60_000,
  // Ends the run when its results are in, even if a suite left something running (a service whose stop gave
  // up on a stuck step): a run that never exits costs CI its whole time budget and reports nothing.
  forceExit: true,
  reporters: ['default', '<rootDir>/tools/jest/summaryReporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/services/*/src/**/*.test.ts',
        '<rootDir>/tools/**/*.test.ts',
        '<rootDir>/proto/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/services/*/test/integration/**/*.int.test.ts'],
      globalSetup: '<rootDir>/tests/support/globalSetup.ts',
      globalTeardown: '<rootDir>/tests/support/globalTeardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.e2e.test.ts'],
    },
    {
      ...common,
      displayName: 'charts',
      testMatch: ['<rootDir>/tests/charts/**/*.chart.test.ts'],
    },
  ],
};
