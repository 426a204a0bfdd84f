export * from './token-verifier.ts';
