import { createRequire } from 'node:module';
import { defineProject } from 'vitest/config';

/** The BFF end to end: identity, auth and two BFF replicas on real PostgreSQL, Valkey and Kafka. */
export default defineProject({
  // Resolver parameter metadata for @nestjs/graphql, as tsc emits it for the build (ADR 0010).
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  // One graphql module, as under Node: Vite would pick graphql's ESM build for the sources while
  // Nest requires the CommonJS one, and graphql refuses a schema from "another realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    name: 'auth-bff:e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
