import { Valkey, type RedisOptions as ValkeyOptions } from 'iovalkey';
import type { Logger } from '../logging/logger.ts';
import { deliverMessage, type MessageHandler, once, type PubSub } from './pub-sub.ts';

export interface ValkeyPubSubOptions {
  readonly url: string;
  /** Prefix of every channel name, so services sharing one Valkey never hear each other. */
  readonly channelPrefix: string;
  /** Fail a publish (or a subscribe) after this long instead of queueing while Valkey is down. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Names the connections in CLIENT LIST: `<name>` publishes, `<name>:sub` subscribes. */
  readonly connectionName?: string;
  /** Where failing handlers and a lost subscriber connection are reported. */
  readonly logger?: Logger;
}

interface Subscription {
  readonly handler: MessageHandler;
}

/** One SUBSCRIBE per channel, however many handlers listen on it. */
interface Channel {
  readonly subscriptions: Set<Subscription>;
  /** Settles when Valkey confirmed the SUBSCRIBE. */
  readonly active: Promise<void>;
}

/**
 * Pub/sub on Valkey. A connection in subscribe mode can run nothing else, so publishing and
 * subscribing use two connections; the subscriber is opened on the first subscribe.
 *
 * After a reconnect iovalkey replays the SUBSCRIBE of every channel the lost connection had
 * confirmed (`autoResubscribe`, on here explicitly): subscriptions survive a Valkey restart or a
 * killed connection, but messages published while the subscriber was away are gone.
 */
export class ValkeyPubSub implements PubSub {
  readonly #url: string;
  readonly #prefix: string;
  readonly #connectionName: string | undefined;
  readonly #logger: Logger | undefined;
  readonly #common: ValkeyOptions;
  readonly #publisher: Valkey;
  readonly #channels = new Map<string, Channel>();
  #subscriber: Valkey | undefined;
  #subscriberLost = false;
  #closed = false;

  constructor(options: ValkeyPubSubOptions) {
    this.#url = options.url;
    this.#prefix = options.channelPrefix;
    this.#connectionName = options.connectionName;
    this.#logger = options.logger;
    this.#common = {
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      // As ValkeyStore: fail commands during an outage instead of queueing them for ever.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    };
    this.#publisher = new Valkey(this.#url, {
      ...this.#common,
      ...(this.#connectionName === undefined ? {} : { connectionName: this.#connectionName }),
    });
    // Reconnection is automatic; errors surface on the commands that fail.
    this.#publisher.on('error', () => {});
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#assertOpen();
    await this.#publisher.publish(this.#prefix + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.#assertOpen();
    const name = this.#prefix + channel;
    const entry = this.#channels.get(name) ?? this.#open(name);
    const subscription: Subscription = { handler };
    entry.subscriptions.add(subscription);
    try {
      await entry.active;
    } catch (err) {
      entry.subscriptions.delete(subscription);
      throw err;
    }
    return once(() => this.#unsubscribe(name, entry, subscription));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channels.clear();
    const connections =
      this.#subscriber === undefined ? [this.#publisher] : [this.#publisher, this.#subscriber];
    // QUIT is subject to the command timeout too, so close() cannot hang on a Valkey that is down.
    await Promise.all(
      connections.map((c) =>
        c.quit().then(
          () => undefined,
          () => c.disconnect(),
        ),
      ),
    );
  }

  /** Sends the SUBSCRIBE for a channel nobody here listens to yet. */
  #open(name: string): Channel {
    const subscriber = this.#subscriberConnection();
    const entry: Channel = {
      subscriptions: new Set(),
      active: subscriber.subscribe(name).then(() => undefined),
    };
    this.#channels.set(name, entry);
    entry.active.catch(() => {
      // Let the next subscribe try afresh. The SUBSCRIBE may still reach Valkey later; an
      // UNSUBSCRIBE queued behind it on the same connection undoes it.
      if (this.#channels.get(name) !== entry) return;
      this.#channels.delete(name);
      subscriber.unsubscribe(name).catch(() => {});
    });
    return entry;
  }

  async #unsubscribe(name: string, entry: Channel, subscription: Subscription): Promise<void> {
    entry.subscriptions.delete(subscription);
    if (entry.subscriptions.size > 0 || this.#channels.get(name) !== entry) return;
    this.#channels.delete(name);
    if (this.#closed) return;
    // Sent at once, so a SUBSCRIBE for the same channel that comes later is also sent after it.
    await this.#subscriber?.unsubscribe(name);
  }

  #subscriberConnection(): Valkey {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const subscriber = new Valkey(this.#url, {
      ...this.#common,
      autoResubscribe: true,
      ...(this.#connectionName === undefined ? {} : { connectionName: `${this.#connectionName}:sub` }),
    });
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, message: string) => {
      const entry = this.#channels.get(channel);
      if (entry === undefined) return;
      const unprefixed = channel.slice(this.#prefix.length);
      for (const { handler } of [...entry.subscriptions]) {
        deliverMessage(handler, unprefixed, message, this.#logger);
      }
    });
    subscriber.on('close', () => {
      if (this.#closed || this.#subscriberLost) return;
      this.#subscriberLost = true;
      this.#logger?.warn('Valkey subscriber connection lost; messages published until it is back are missed');
    });
    subscriber.on('ready', () => {
      if (!this.#subscriberLost) return;
      this.#subscriberLost = false;
      this.#logger?.info('Valkey subscriber connection back; subscriptions restored');
    });
    this.#subscriber = subscriber;
    return subscriber;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('ValkeyPubSub is closed');
  }
}
