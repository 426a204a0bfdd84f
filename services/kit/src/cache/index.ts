export * from './key-value-store.ts';
export * from './memory-pub-sub.ts';
export * from './memory-store.ts';
export type { MessageHandler, PubSub } from './pub-sub.ts';
export * from './rate-limiter.ts';
export * from './valkey-pub-sub.ts';
export * from './valkey-store.ts';
