import type { Logger } from '../logging/logger.ts';
import { deliverMessage, type MessageHandler, once, type PubSub } from './pub-sub.ts';

interface Subscription {
  readonly handler: MessageHandler;
  active: boolean;
}

/**
 * The in-process twin of `ValkeyPubSub` for local mode: delivery is asynchronous (as over the
 * network, so no caller comes to rely on a handler having run when publish returns) and in publish
 * order per channel. One process only, so never for replicated deployments.
 */
export class MemoryPubSub implements PubSub {
  readonly #channels = new Map<string, Set<Subscription>>();
  readonly #logger: Logger | undefined;
  #closed = false;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#assertOpen();
    const subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined) return;
    // Those subscribed now, as Valkey fans out at PUBLISH time; one setImmediate queue keeps order.
    const targets = [...subscriptions];
    setImmediate(() => {
      for (const subscription of targets) {
        if (subscription.active) deliverMessage(subscription.handler, channel, message, this.#logger);
      }
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.#assertOpen();
    const subscription: Subscription = { handler, active: true };
    const subscriptions = this.#channels.get(channel) ?? new Set<Subscription>();
    subscriptions.add(subscription);
    this.#channels.set(channel, subscriptions);
    return once(async () => {
      subscription.active = false;
      subscriptions.delete(subscription);
      if (subscriptions.size === 0 && this.#channels.get(channel) === subscriptions) {
        this.#channels.delete(channel);
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const subscriptions of this.#channels.values()) {
      for (const subscription of subscriptions) subscription.active = false;
    }
    this.#channels.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('MemoryPubSub is closed');
  }
}
