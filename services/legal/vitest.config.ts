import { defineProject } from 'vitest/config';

/** legal-service (with a real identity-service and auth-service beside it) against real PostgreSQL, Valkey and Kafka. */
export default defineProject({
  test: {
    name: 'legal:integration',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
