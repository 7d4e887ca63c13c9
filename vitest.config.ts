import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests share one migrated database per worker (see test/support/database.ts).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The Data API tests use the real AWS SDK against a local endpoint: it still wants credentials.
    env: { TZ: 'UTC', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' },
    // Keep one process per worker across files so the worker's migrated database is reused.
    isolate: false,
  },
});
