/**
 * Per-key work queue (after client-go's workqueue): a key is processed by one worker at a time,
 * added again while it runs it is processed once more afterwards, failures back off exponentially
 * per key, and a key can be requeued after a delay.
 */
export interface WorkQueueOptions {
  readonly concurrency: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly onMetrics?: (event: 'add' | 'retry' | 'depth', value?: number) => void;
}

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number }>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirtyWhileRunning = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly options: WorkQueueOptions;
  private readonly handler: Handler;
  private readonly idleWaiters: (() => void)[] = [];
  private active = 0;
  private stopped = false;

  constructor(handler: Handler, options: WorkQueueOptions) {
    this.handler = handler;
    this.options = options;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.options.onMetrics?.('add');
    if (this.running.has(key)) {
      this.dirtyWhileRunning.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.options.onMetrics?.('depth', this.queue.length);
    this.pump();
  }

  /** Adds the key after a delay; an earlier pending delay for it wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The backoff the next failure of this key will wait: base * 2^failures, capped. */
  backoffMs(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** n);
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued or running (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  private pump(): void {
    while (this.active < this.options.concurrency) {
      const index = this.queue.findIndex((k) => !this.running.has(k));
      if (index < 0) break;
      const [key] = this.queue.splice(index, 1);
      if (key === undefined) break;
      this.queued.delete(key);
      this.options.onMetrics?.('depth', this.queue.length);
      this.running.add(key);
      this.active++;
      void this.process(key);
    }
    if (this.active === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async process(key: string): Promise<void> {
    try {
      const { requeueAfterMs } = await this.handler(key);
      this.failures.delete(key);
      if (requeueAfterMs !== undefined) this.addAfter(key, requeueAfterMs);
    } catch {
      const delay = this.backoffMs(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.options.onMetrics?.('retry');
      this.addAfter(key, delay);
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.dirtyWhileRunning.delete(key)) this.add(key);
      this.pump();
    }
  }
}
