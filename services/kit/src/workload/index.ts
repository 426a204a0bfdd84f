export * from './file-token-source.ts';
export * from './local-workload-issuer.ts';
export * from './workload-config.ts';
export * from './workload-verifier.ts';
