import { defineProject } from 'vitest/config';

/** The smoke suites: one per real server, each with the client the platform uses. */
export default defineProject({
  test: {
    name: 'e2e:smoke',
    include: ['test/**/*.test.ts'],
    // The real node's suite is a project of its own (vitest.node.config.ts): it needs root and a node.
    exclude: ['test/node/**'],
    // Brings up the real servers (cached builds, fresh data) and stops what it started afterwards.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
