import { infraGlobalSetup } from '../src/infra/vitest-setup.ts';

/** Every server the smoke suites speak to. */
export default infraGlobalSetup(['postgres', 'valkey', 'clickhouse', 'kafka', 'kube', 'coredns', 'helm']);
