export * from './config-reader.ts';
