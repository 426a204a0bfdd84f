// What benchmark suites in other packages use.
export type { BenchSuite } from './suite.ts';
export { rawApplyRate, rawProduceRate } from './suites/limits.ts';
