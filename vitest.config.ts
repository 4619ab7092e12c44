import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: workflow tests start servers, so keep parallelism modest.
    maxWorkers: 2,
    // Step logs (Powertools) are for CloudWatch; in tests they only bury the results.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
