import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests share one migrated database per worker (see test/support/database.ts).
    pool: 'forks',
    // Two workers even on two cores: most files wait on spawned servers, browsers and sockets
    // rather than compute, and one worker made the suite run each file back to back.
    maxWorkers: 2,
    // Sized for a busy 2-core machine, not an idle one: a worker's first hook migrates its PGlite
    // (seconds idle, over a minute beside a full CPU load). Tests with more work set their own.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The Data API tests use the real AWS SDK against a local endpoint: it still wants credentials.
    env: { TZ: 'UTC', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' },
    // Keep one process per worker across files so the worker's migrated database is reused.
    isolate: false,
  },
});
