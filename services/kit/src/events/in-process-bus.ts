import type { Logger } from '../logging/logger.ts';

/** A CloudEvent as consumers see it, whichever bus carried it. */
export interface EventRecord {
  readonly id: string;
  readonly topic: string;
  /** The aggregate id (the Kafka message key). */
  readonly key: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: Date;
  readonly data: unknown;
}

export type EventHandler = (event: EventRecord) => Promise<void> | void;

/**
 * Local mode's stand-in for Kafka: topics and subscribers inside one process. Delivery is in
 * publish order, one event at a time per subscriber, at least once while the process lives; a
 * failing handler is logged and does not stop the others.
 */
export class InProcessBus {
  readonly #subscribers = new Map<string, Set<EventHandler>>();
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  /** Returns the unsubscribe function. */
  subscribe(topics: readonly string[], handler: EventHandler): () => void {
    for (const topic of topics) {
      const set = this.#subscribers.get(topic) ?? new Set<EventHandler>();
      set.add(handler);
      this.#subscribers.set(topic, set);
    }
    return () => {
      for (const topic of topics) this.#subscribers.get(topic)?.delete(handler);
    };
  }

  async publish(events: readonly EventRecord[]): Promise<void> {
    for (const event of events) {
      for (const handler of this.#subscribers.get(event.topic) ?? []) {
        try {
          await handler(event);
        } catch (error) {
          this.#logger?.error({ err: error, topic: event.topic, eventId: event.id }, 'event handler failed');
        }
      }
    }
  }
}
