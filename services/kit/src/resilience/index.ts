export * from './failure-classes.ts';
export * from './resilience-policy.ts';
