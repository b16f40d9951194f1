import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // kubectl end-to-end tests spawn real processes; two cores are shared, so keep the pool small.
    maxWorkers: 2,
  },
});
