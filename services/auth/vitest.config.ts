import { defineProject } from 'vitest/config';

/** auth-service (with a real identity-service beside it) against real PostgreSQL, Valkey and Kafka. */
export default defineProject({
  test: {
    name: 'auth:integration',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
