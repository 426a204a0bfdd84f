// What benchmark suites in other packages use.
export type { BenchSuite } from './suite.ts';
export { type Argon2idParams, rawApplyRate, rawArgon2Rate, rawProduceRate } from './suites/limits.ts';
