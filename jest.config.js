// One Jest run over every package (each package also runs alone with `pnpm --filter <pkg> test`).
export default {
  projects: ['<rootDir>/libs/*/jest.config.js', '<rootDir>/apps/*/jest.config.js', '<rootDir>/deploy/jest.config.js'],
  // Two cores on the CI machines: integration suites start real processes, so keep two workers.
  maxWorkers: 2,
  // Integration tests start real processes; per-test timeouts are a global option in Jest.
  testTimeout: 60_000,
};
