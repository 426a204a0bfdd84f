/**
 * The short-lived state services keep outside their database: rate-limit counters, MFA
 * challenges, grace-window hand-offs. Valkey in production; an in-memory twin for local mode
 * shares this interface.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomically increments each key; the first increment of a key starts its expiry. One round trip
   * for all of them. Returns the new values in order.
   */
  increment(...counters: readonly { readonly key: string; readonly ttlMs: number }[]): Promise<number[]>;
  /** Milliseconds until the key expires; 0 when it does not exist. */
  ttlMs(key: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
