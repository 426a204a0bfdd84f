export * from './test-callers.ts';
