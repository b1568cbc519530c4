// One Jest run over every package (each package also runs alone with `pnpm --filter <pkg> test`).
export default {
  projects: ['<rootDir>/libs/*/jest.config.js', '<rootDir>/apps/*/jest.config.js'],
};
