export interface BatchWriterOptions<T> {
  /** Most items in one flush (a single write larger than this is flushed alone, whole). */
  readonly maxBatchSize: number;
  /** Longest the first item of a batch waits for others before the batch is flushed anyway. */
  readonly lingerMs: number;
  /** Flushes allowed in progress at once (default 1): the next batch fills while one is written. */
  readonly maxInFlight?: number;
  /** Writes one batch; rejecting fails every write in it. */
  readonly flush: (items: readonly T[]) => Promise<void>;
}

interface Entry<T> {
  readonly items: readonly T[];
  readonly at: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Gathers the items of concurrent writers into batches: a batch is flushed when it is full or
 * when its oldest item has waited `lingerMs`, at most `maxInFlight` flushes at a time. `write`
 * resolves only once its items are flushed, and rejects if their batch failed, so a caller that
 * acknowledges its input after `write` (a Kafka consumer committing offsets) never acknowledges
 * something unwritten. A write's items always travel in one batch, never split.
 */
export class BatchWriter<T> {
  readonly #maxBatchSize: number;
  readonly #lingerMs: number;
  readonly #maxInFlight: number;
  readonly #flush: (items: readonly T[]) => Promise<void>;
  readonly #pending: Entry<T>[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #pendingItems = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: BatchWriterOptions<T>) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
      throw new RangeError('maxBatchSize must be a positive integer');
    }
    const maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new RangeError('maxInFlight must be a positive integer');
    }
    this.#maxBatchSize = options.maxBatchSize;
    this.#lingerMs = Math.max(0, options.lingerMs);
    this.#maxInFlight = maxInFlight;
    this.#flush = options.flush;
  }

  /** Items waiting for a flush (not counting those being flushed). */
  get buffered(): number {
    return this.#pendingItems;
  }

  write(items: readonly T[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('BatchWriter is closed'));
    if (items.length === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending.push({ items, at: performance.now(), resolve, reject });
    this.#pendingItems += items.length;
    this.#schedule();
    return promise;
  }

  /** Flushes everything buffered (waiting no linger) and refuses further writes. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#inFlight.size > 0 || this.#pending.length > 0) {
      if (this.#pending.length > 0 && this.#inFlight.size < this.#maxInFlight) this.#startFlush();
      else await Promise.race(this.#inFlight);
    }
  }

  /**
   * Starts the flushes that are due. From `write` (`settled` false) a batch that is already due is
   * still deferred to a timer, so writes made in the same turn of the event loop share it.
   */
  #schedule(settled = false): void {
    while (this.#pending.length > 0 && this.#inFlight.size < this.#maxInFlight) {
      const oldest = this.#pending[0]?.at ?? performance.now();
      const wait = this.#lingerMs - (performance.now() - oldest);
      const full = this.#pendingItems >= this.#maxBatchSize || this.#closed;
      if (full || (wait <= 0 && settled)) {
        this.#startFlush();
        continue;
      }
      this.#timer ??= setTimeout(
        () => {
          this.#timer = undefined;
          this.#schedule(true);
        },
        Math.max(0, wait),
      );
      return;
    }
  }

  #startFlush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch: Entry<T>[] = [];
    let size = 0;
    while (this.#pending.length > 0) {
      const next = this.#pending[0] as Entry<T>;
      if (batch.length > 0 && size + next.items.length > this.#maxBatchSize) break;
      this.#pending.shift();
      batch.push(next);
      size += next.items.length;
    }
    this.#pendingItems -= size;
    const items = batch.length === 1 ? (batch[0] as Entry<T>).items : batch.flatMap((e) => e.items);
    const flushing = this.#run(batch, items);
    this.#inFlight.add(flushing);
    void flushing.then(() => {
      this.#inFlight.delete(flushing);
      this.#schedule(true);
    });
  }

  /** Flushes one batch and settles its writes; never rejects. */
  async #run(batch: readonly Entry<T>[], items: readonly T[]): Promise<void> {
    try {
      await this.#flush(items);
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
