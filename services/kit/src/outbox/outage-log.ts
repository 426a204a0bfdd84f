import type { Logger } from '../logging/logger.ts';

/**
 * Logs a dependency outage once when it starts (warn) and once when it ends (info), and each
 * failed attempt in between only at debug: a relay retrying every few seconds through a long
 * outage must not bury everything else in the log.
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #dependency: string;
  readonly #now: () => number;
  #since: number | undefined;
  #failures = 0;

  constructor(logger: Logger, dependency: string, now: () => number = Date.now) {
    this.#logger = logger;
    this.#dependency = dependency;
    this.#now = now;
  }

  get down(): boolean {
    return this.#since !== undefined;
  }

  failed(err: unknown, doing: string): void {
    this.#failures += 1;
    if (this.#since === undefined) {
      this.#since = this.#now();
      this.#logger.warn(
        { err, doing },
        `${this.#dependency} failing; outbox events stay pending and are retried with backoff`,
      );
    } else {
      this.#logger.debug({ err, doing, failures: this.#failures }, `${this.#dependency} still failing`);
    }
  }

  succeeded(): void {
    if (this.#since === undefined) return;
    this.#logger.info(
      { downMs: this.#now() - this.#since, failedAttempts: this.#failures },
      `${this.#dependency} working again`,
    );
    this.#since = undefined;
    this.#failures = 0;
  }
}
