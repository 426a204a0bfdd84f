/**
 * Exponential backoff with full jitter: each delay is uniform in [0, min(max, initial * 2^n)].
 * Jitter keeps replicas that failed together from retrying together.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(initialMs: number, maxMs: number, random: () => number = Math.random) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  /** The delay before the next attempt; grows with each call until `reset()`. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(ceiling * this.#random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}
