import { defineProject } from 'vitest/config';

/** The real node: Pods that really run, Services through kube-proxy, cluster DNS, the host address. */
export default defineProject({
  test: {
    name: 'e2e:node',
    include: ['test/node/**/*.test.ts'],
    globalSetup: ['test/node/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
