import { defineProject } from 'vitest/config';

/** The kit against real PostgreSQL, Valkey, Kafka and kube-apiserver. */
export default defineProject({
  test: {
    name: 'kit:integration',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
