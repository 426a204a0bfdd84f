export * from './uuidv7.ts';
