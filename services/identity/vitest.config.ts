import { defineProject } from 'vitest/config';

/** identity-service over REST and gRPC against real PostgreSQL, Valkey and Kafka. */
export default defineProject({
  test: {
    name: 'identity:integration',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
