import { defineProject } from 'vitest/config';

/**
 * The whole platform on the real servers, and what happens when one of them goes away: these
 * suites stop and resume shared servers, so they run one file at a time, after every other project.
 */
export default defineProject({
  test: {
    name: 'platform:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    sequence: { groupOrder: 2 },
  },
});
