import type { KeyValueStore } from './key-value-store.ts';

export interface RateLimit {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Whole seconds until the window resets (0 when allowed). */
  readonly retryAfterSeconds: number;
}

/**
 * Fixed-window counters: one atomic increment per request. Coarser than a sliding log but one
 * round trip, which matters on the login path.
 */
export class RateLimiter {
  readonly #store: KeyValueStore;

  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  async consume(key: string, rule: RateLimit): Promise<RateDecision> {
    const window = Math.floor(Date.now() / rule.windowMs);
    const bucket = `rl:${key}:${window}`;
    const count = await this.#store.increment(bucket, rule.windowMs);
    if (count <= rule.limit) return { allowed: true, remaining: rule.limit - count, retryAfterSeconds: 0 };
    const resetMs = (window + 1) * rule.windowMs - Date.now();
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
  }
}
