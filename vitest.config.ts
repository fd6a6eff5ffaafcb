import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests (no I/O), and integration / end-to-end tests that share one
// real Redis and one real Docker Engine started once per run by the global set-up. Tests
// isolate themselves inside those daemons by queue names, key prefixes and container names.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: at most two files at once so Docker timings stay sane.
          maxWorkers: 2,
          // After the unit project (projects with different maxWorkers need their own group).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
