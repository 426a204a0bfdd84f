export * from './database.ts';
export * from './pglite-dialect.ts';
