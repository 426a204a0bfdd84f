/**
 * Tokens already verified, by their exact text, so a caller presenting the same token on every
 * call (a component's workload token, a user's access token the BFF forwards) costs a map lookup
 * instead of a signature check. An entry lives until the token expires or `maxAgeMs` passes —
 * the verifier's key-set cache age, so a key taken out of the JWKS stops being honoured no later
 * than it would without this cache. Only successes are kept, and at most `maxEntries` (oldest
 * first out), so nobody can fill it with tokens of their making.
 */
export class VerifiedCache<T> {
  readonly #entries = new Map<string, { readonly value: T; readonly until: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;

  constructor(options: { maxAgeMs: number; maxEntries?: number }) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries ?? 4096;
  }

  get(token: string, nowMs: number): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs < entry.until) return entry.value;
    this.#entries.delete(token);
    return undefined;
  }

  /** Keeps `value` for `token` until `expiresAtMs` or the maximum age, whichever comes first. */
  set(token: string, value: T, expiresAtMs: number, nowMs: number): void {
    if (this.#maxAgeMs <= 0) return;
    const until = Math.min(expiresAtMs, nowMs + this.#maxAgeMs);
    if (until <= nowMs) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, { value, until });
  }
}
