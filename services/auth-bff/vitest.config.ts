import { defineProject } from 'vitest/config';

/** The BFF end to end: identity, auth and two BFF replicas on real PostgreSQL, Valkey and Kafka. */
export default defineProject({
  // Resolver parameter metadata for @nestjs/graphql, as tsc emits it for the build (ADR 0010).
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    name: 'auth-bff:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
