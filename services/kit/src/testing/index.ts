export * from './free-port.ts';
export * from './test-callers.ts';
