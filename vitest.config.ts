import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Records every fake's requests and every relay's logs, and fails the run on a raw identifier.
    globalSetup: ['test/global-setup.ts'],
  },
});
