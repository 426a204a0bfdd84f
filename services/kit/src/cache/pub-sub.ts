import type { Logger } from '../logging/logger.ts';

export type MessageHandler = (message: string) => void;

/**
 * Fire-and-forget broadcast between the replicas of a service (cache invalidation, "revoked"
 * notices): every current subscriber of a channel gets each message once, in publish order; a
 * subscriber that is not connected when a message is published never sees it. Anything that must
 * not be lost goes through the outbox and Kafka instead. Valkey in production; an in-process
 * twin for local mode shares this interface.
 */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; returns the unsubscribe function. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Calls one handler without letting it disturb the others: a throw, or the rejection of a handler
 * that is async after all, is logged and goes no further.
 */
export function deliverMessage(
  handler: MessageHandler,
  channel: string,
  message: string,
  logger: Logger | undefined,
): void {
  const failed = (err: unknown) => logger?.error({ err, channel }, 'pub/sub message handler failed');
  try {
    const result: unknown = handler(message);
    if (result instanceof Promise) result.catch(failed);
  } catch (err) {
    failed(err);
  }
}

/** Wraps an unsubscribe so calling it again does nothing. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
