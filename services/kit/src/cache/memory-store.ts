import type { KeyValueStore } from './key-value-store.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * The in-process twin of `ValkeyStore` for local mode (one process, no Valkey): same interface,
 * same expiry semantics. Not shared between processes, so never for replicated deployments.
 */
export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 60_000) {
    // Expired keys are also dropped on read; the sweep only bounds memory for keys never read again.
    this.#sweeper = setInterval(() => this.#sweep(), sweepIntervalMs);
    this.#sweeper.unref();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async increment(
    ...counters: readonly { readonly key: string; readonly ttlMs: number }[]
  ): Promise<number[]> {
    return counters.map(({ key, ttlMs }) => {
      const entry = this.#live(key);
      const value = Number(entry?.value ?? '0') + 1;
      this.#entries.set(key, { value: String(value), expiresAt: entry?.expiresAt ?? Date.now() + ttlMs });
      return value;
    });
  }

  async ttlMs(key: string): Promise<number> {
    const entry = this.#live(key);
    return entry === undefined ? 0 : entry.expiresAt - Date.now();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }
}
