export * from './permissions.ts';
export * from './token-verifier.ts';
