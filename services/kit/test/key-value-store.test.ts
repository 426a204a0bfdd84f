import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { KeyValueStore } from '../src/cache/index.ts';
import { MemoryStore, ValkeyStore } from '../src/cache/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One contract, two adapters: local mode's MemoryStore must behave as Valkey does. */
const adapters: [string, () => KeyValueStore][] = [
  [
    'ValkeyStore on real Valkey',
    () =>
      new ValkeyStore({ url: inject('infraEnv').VALKEY_URL ?? '', keyPrefix: `kv-test-${randomUUID()}:` }),
  ],
  ['MemoryStore', () => new MemoryStore()],
];

describe.each(adapters)('KeyValueStore contract: %s', (_name, make) => {
  const store = make();
  afterAll(() => store.close());

  it('gets what was set, until it expires', async () => {
    await store.set('a', 'one', 1000);
    expect(await store.get('a')).toBe('one');
    expect(await store.ttlMs('a')).toBeGreaterThan(0);
    await sleep(1100);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.ttlMs('a')).toBe(0);
  });

  it('setIfAbsent sets once; delete removes', async () => {
    expect(await store.setIfAbsent('b', 'first', 10_000)).toBe(true);
    expect(await store.setIfAbsent('b', 'second', 10_000)).toBe(false);
    expect(await store.get('b')).toBe('first');
    await store.delete('b');
    expect(await store.get('b')).toBeUndefined();
  });

  it('increments several counters in one call; the first increment starts the expiry, later ones keep it', async () => {
    expect(await store.increment({ key: 'c1', ttlMs: 1000 }, { key: 'c2', ttlMs: 10_000 })).toEqual([1, 1]);
    await sleep(300);
    expect(await store.increment({ key: 'c1', ttlMs: 1000 }, { key: 'c2', ttlMs: 10_000 })).toEqual([2, 2]);
    await sleep(900); // c1 expired 1 s after its first increment, not after its last
    expect(await store.increment({ key: 'c1', ttlMs: 1000 })).toEqual([1]);
    expect(await store.increment({ key: 'c2', ttlMs: 10_000 })).toEqual([3]);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
