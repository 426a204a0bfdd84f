export type { ConsumedResult } from './event-consumer.metrics.ts';
export type { EventConsumer } from './event-consumer.ts';
export * from './in-process-bus.ts';
export * from './kafka-client.ts';
export * from './kafka-event-consumer.ts';
export * from './local-event-consumer.ts';
