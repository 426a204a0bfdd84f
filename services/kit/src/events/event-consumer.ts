import type { EventHandler } from './in-process-bus.ts';

/**
 * Receiving events, whichever bus carries them: Kafka (`KafkaEventConsumer`) in a deployment, the
 * in-process bus (`LocalEventConsumer`) in local mode. Handlers must be idempotent: delivery is at
 * least once, so an event can arrive again after a crash, a restart or a rebalance.
 */
export interface EventConsumer {
  /** Starts delivering events of `topics` to `handler`; resolves when running. */
  start(handler: EventHandler): Promise<void>;
  stop(): Promise<void>;
}
