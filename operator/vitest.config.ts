import { defineProject } from 'vitest/config';

/** The operator against a real API server (+ controller-manager, scheduler, kwok), real Kafka and real CoreDNS. */
export default defineProject({
  test: {
    name: 'operator:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The suites stop and start shared servers (Kafka) and install cluster-wide CRDs: one file at a time.
    fileParallelism: false,
    // Runs after the other projects: these suites stop and restart shared servers.
    sequence: { groupOrder: 1 },
  },
});
