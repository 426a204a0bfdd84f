export * from './create-revocations-consumer.ts';
export * from './permissions.ts';
export * from './revocation-aware-verifier.ts';
export * from './session-revocations.ts';
export * from './token-verifier.ts';
