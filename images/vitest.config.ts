import { defineProject } from 'vitest/config';

/** The images, built for real, checked by skopeo, pushed to the real registry and run with runc. */
export default defineProject({
  test: {
    name: 'images:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // A cold build compresses the 130 MB base layer and unpacks rootfs trees on 2 busy cores.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
