import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What follows a request across async calls and gRPC hops. */
export interface RequestContext {
  /** Correlation id: taken from the caller (`x-request-id`) or minted at the edge. */
  readonly requestId: string;
}

/** The metadata / header key that carries the request id between services. */
export const REQUEST_ID_KEY = 'x-request-id';

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's id when it is a sane token, else mints one (never trust arbitrary text). */
export function requestIdFrom(incoming: unknown): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
