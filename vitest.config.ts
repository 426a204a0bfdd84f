import { defineConfig } from 'vitest/config';

// `npm test` runs every project: unit tests of pure logic (no servers), then the suites that
// need real servers, whose global setup brings up only what they use.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'e2e:unit', root: './e2e', include: ['src/**/*.test.ts'] } },
      { test: { name: 'operator:unit', root: './operator', include: ['src/**/*.test.ts'] } },
      { test: { name: 'kit:unit', root: './services/kit', include: ['src/**/*.test.ts'] } },
      { test: { name: 'identity:unit', root: './services/identity', include: ['src/**/*.test.ts'] } },
      { test: { name: 'auth:unit', root: './services/auth', include: ['src/**/*.test.ts'] } },
      { test: { name: 'auth-bff:unit', root: './services/auth-bff', include: ['src/**/*.test.ts'] } },
      { test: { name: 'legal:unit', root: './services/legal', include: ['src/**/*.test.ts'] } },
      { test: { name: 'audit:unit', root: './services/audit', include: ['src/**/*.test.ts'] } },
      './e2e/vitest.config.ts',
      './e2e/vitest.node.config.ts',
      './services/kit/vitest.config.ts',
      './services/identity/vitest.config.ts',
      './services/auth/vitest.config.ts',
      './services/legal/vitest.config.ts',
      './services/auth-bff/vitest.config.ts',
      './services/audit/vitest.config.ts',
      './operator/vitest.config.ts',
      './e2e/platform/vitest.config.ts',
    ],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
