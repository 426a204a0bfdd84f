import { EventEmitter, on } from 'node:events';
import type { PubSub } from '@girok/kit/cache';
import { DomainError } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import { Inject, Injectable } from '@nestjs/common';
import { AUTH, type AuthClient, LOGGER, PUB_SUB } from '../tokens.ts';

/** A change to an account's sessions or devices, as sockets and subscriptions receive it. */
export interface SessionChange {
  /** session.created, session.refreshed, session.revoked, device.registered, device.revoked, ... */
  readonly type: string;
  readonly accountId: string;
  readonly sessionId: string | null;
  readonly deviceId: string | null;
  readonly occurredAt: string;
}

export type ChangeListener = (change: SessionChange) => void;

/** Who may watch every account's sessions at once. */
export const PLATFORM_VIEW_PERMISSION = 'session:read_all';

const accountChannel = (accountId: string) => `sessions:account:${accountId}`;
const PLATFORM_CHANNEL = 'sessions:platform';

/**
 * Fans session changes out to this replica's sockets. Changes are published to Valkey pub/sub
 * (one channel per account, one for the platform view) by whichever replica consumed the event;
 * each replica subscribes to a channel only while one of its sockets watches it.
 */
@Injectable()
export class LiveSessionHub {
  readonly #pubsub: PubSub;
  readonly #auth: AuthClient;
  readonly #logger: Logger;
  readonly #listeners = new Map<string, Set<ChangeListener>>();
  readonly #subscriptions = new Map<string, Promise<() => Promise<void>>>();

  constructor(
    @Inject(PUB_SUB) pubsub: PubSub,
    @Inject(AUTH) auth: AuthClient,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#pubsub = pubsub;
    this.#auth = auth;
    this.#logger = logger;
  }

  async publish(change: SessionChange): Promise<void> {
    const message = JSON.stringify(change);
    await Promise.all([
      this.#pubsub.publish(accountChannel(change.accountId), message),
      this.#pubsub.publish(PLATFORM_CHANNEL, message),
    ]);
  }

  /** The account's own changes; resolves once subscribed. Returns the unsubscribe function. */
  watchAccount(accountId: string, listener: ChangeListener): Promise<() => void> {
    return this.#watch(accountChannel(accountId), listener);
  }

  /** Every account's changes, for callers holding session:read_all. */
  async watchPlatform(accountId: string, listener: ChangeListener): Promise<() => void> {
    await this.requirePlatformView(accountId);
    return this.#watch(PLATFORM_CHANNEL, listener);
  }

  async requirePlatformView(accountId: string): Promise<void> {
    const { decision } = await this.#auth.checkPermission({
      accountId,
      query: { permission: PLATFORM_VIEW_PERMISSION },
    });
    if (decision?.allowed !== true) {
      throw new DomainError(
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        `The platform-wide view needs the ${PLATFORM_VIEW_PERMISSION} permission`,
      );
    }
  }

  /** The same stream as an async iterable (GraphQL subscriptions). */
  async *stream(
    subscribe: (listener: ChangeListener) => Promise<() => void>,
    signal?: AbortSignal,
  ): AsyncGenerator<SessionChange> {
    const emitter = new EventEmitter();
    const stop = await subscribe((change) => emitter.emit('change', change));
    try {
      for await (const [change] of on(emitter, 'change', signal === undefined ? {} : { signal })) {
        yield change as SessionChange;
      }
    } finally {
      stop();
    }
  }

  async #watch(channel: string, listener: ChangeListener): Promise<() => void> {
    const listeners = this.#listeners.get(channel) ?? new Set<ChangeListener>();
    this.#listeners.set(channel, listeners);
    listeners.add(listener);
    if (!this.#subscriptions.has(channel)) {
      this.#subscriptions.set(
        channel,
        this.#pubsub.subscribe(channel, (message) => this.#deliver(channel, message)),
      );
    }
    try {
      await this.#subscriptions.get(channel);
    } catch (error) {
      // Forget the failed subscription so the next watcher tries again.
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(channel);
      this.#subscriptions.delete(channel);
      throw error;
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0) return;
      this.#listeners.delete(channel);
      const subscription = this.#subscriptions.get(channel);
      this.#subscriptions.delete(channel);
      subscription
        ?.then((unsubscribe) => unsubscribe())
        .catch((error: unknown) => this.#logger.warn({ err: error, channel }, 'unsubscribe failed'));
    };
  }

  #deliver(channel: string, message: string): void {
    let change: SessionChange;
    try {
      change = JSON.parse(message) as SessionChange;
    } catch {
      this.#logger.warn({ channel }, 'unreadable session change dropped');
      return;
    }
    for (const listener of this.#listeners.get(channel) ?? []) listener(change);
  }
}
