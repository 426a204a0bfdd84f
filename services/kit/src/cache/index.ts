export * from './key-value-store.ts';
export * from './memory-store.ts';
export * from './rate-limiter.ts';
export * from './valkey-store.ts';
