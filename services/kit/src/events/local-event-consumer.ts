import type { EventConsumer } from './event-consumer.ts';
import type { EventHandler, InProcessBus } from './in-process-bus.ts';

export interface LocalEventConsumerOptions {
  readonly bus: InProcessBus;
  readonly topics: readonly string[];
}

/**
 * `EventConsumer` over the in-process bus of local mode. Delivery is the bus's: in publish order,
 * one event at a time; a handler that throws is logged by the bus and the event is not retried
 * (unlike on Kafka, where the consumer retries it until it succeeds).
 */
export class LocalEventConsumer implements EventConsumer {
  readonly #bus: InProcessBus;
  readonly #topics: readonly string[];
  readonly #inFlight = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: LocalEventConsumerOptions) {
    this.#bus = options.bus;
    this.#topics = [...options.topics];
  }

  async start(handler: EventHandler): Promise<void> {
    if (this.#unsubscribe !== undefined) throw new Error('LocalEventConsumer already started');
    this.#unsubscribe = this.#bus.subscribe(this.#topics, (event) => {
      const handling = Promise.resolve().then(() => handler(event));
      const tracked = handling.then(
        () => undefined,
        () => undefined,
      );
      this.#inFlight.add(tracked);
      void tracked.then(() => this.#inFlight.delete(tracked));
      return handling;
    });
  }

  /** Stops taking events and waits for the one being handled. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.all(this.#inFlight);
  }
}
