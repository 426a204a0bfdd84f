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

export interface RateCheck {
  readonly key: string;
  readonly rule: RateLimit;
}

/**
 * Fixed-window counters: coarser than a sliding log, but every limit a request is subject to (per
 * IP, per account, ...) costs one round trip together, which matters on the login path.
 */
export class RateLimiter {
  readonly #store: KeyValueStore;

  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /** Counts the request against every check; refused when any limit is exceeded. */
  async consume(checks: readonly RateCheck[]): Promise<RateDecision> {
    const now = Date.now();
    const windows = checks.map(({ rule }) => Math.floor(now / rule.windowMs));
    const counts = await this.#store.increment(
      ...checks.map(({ key, rule }, i) => ({ key: `rl:${key}:${windows[i]}`, ttlMs: rule.windowMs })),
    );
    let decision: RateDecision = { allowed: true, remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 };
    for (const [i, { rule }] of checks.entries()) {
      const count = counts[i] ?? 0;
      if (count > rule.limit) {
        const resetMs = ((windows[i] ?? 0) + 1) * rule.windowMs - now;
        const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
        if (decision.allowed || retryAfterSeconds > decision.retryAfterSeconds) {
          decision = { allowed: false, remaining: 0, retryAfterSeconds };
        }
      } else if (decision.allowed) {
        decision = {
          allowed: true,
          remaining: Math.min(decision.remaining, rule.limit - count),
          retryAfterSeconds: 0,
        };
      }
    }
    return decision;
  }
}
