import { defineProject } from 'vitest/config';

/**
 * The platform as a platform engineer gets it: images, the chart, `kubectl apply`, on the real
 * node behind the real Gateway. One file, its tests in order (each builds on the last), after
 * every other project.
 */
export default defineProject({
  test: {
    name: 'cluster:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { groupOrder: 3 },
  },
});
