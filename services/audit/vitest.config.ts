import { defineProject } from 'vitest/config';

/**
 * audit-service against real ClickHouse and Kafka (PostgreSQL for the outbox relay that feeds it
 * in one suite). One file at a time: the chaos suite stops ClickHouse itself.
 */
export default defineProject({
  test: {
    name: 'audit:integration',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
