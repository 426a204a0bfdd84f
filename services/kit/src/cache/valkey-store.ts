import { Valkey } from 'iovalkey';
import type { KeyValueStore } from './key-value-store.ts';

export interface ValkeyStoreOptions {
  readonly url: string;
  /** Prefix of every key, so services sharing one Valkey never collide. */
  readonly keyPrefix: string;
  /** Fail a command after this long instead of queueing while Valkey is down. */
  readonly commandTimeoutMs?: number;
}

export class ValkeyStore implements KeyValueStore {
  readonly client: Valkey;

  constructor(options: ValkeyStoreOptions) {
    this.client = new Valkey(options.url, {
      keyPrefix: options.keyPrefix,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      // Do not queue commands for ever while disconnected: fail them so callers answer 503.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    // Reconnection is automatic; errors surface on the commands that fail.
    this.client.on('error', () => {});
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async delete(key: string): Promise<void> {
    await this.client.del(key);
  }

  async increment(
    ...counters: readonly { readonly key: string; readonly ttlMs: number }[]
  ): Promise<number[]> {
    const transaction = this.client.multi();
    for (const { key, ttlMs } of counters) transaction.incr(key).pexpire(key, ttlMs, 'NX');
    const results = (await transaction.exec()) ?? [];
    return counters.map((_, i) => {
      const [error, value] = results[2 * i] ?? [new Error('short MULTI reply'), 0];
      if (error) throw error;
      return Number(value);
    });
  }

  async ttlMs(key: string): Promise<number> {
    return Math.max(0, await this.client.pttl(key));
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
