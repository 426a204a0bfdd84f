export * from './in-process-bus.ts';
