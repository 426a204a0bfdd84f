export * from './topic-watcher.ts';
