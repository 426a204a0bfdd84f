import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchWriter } from './batch-writer.ts';

/** A sink whose flushes are recorded and can be held open or made to fail. */
function sink() {
  const batches: number[][] = [];
  let hold: Promise<void> | undefined;
  let failNext: Error | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    batches,
    get maxInFlight() {
      return maxInFlight;
    },
    holdUntil(p: Promise<void>) {
      hold = p;
    },
    failOnce(error: Error) {
      failNext = error;
    },
    flush: async (items: readonly number[]) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        batches.push([...items]);
        if (hold !== undefined) await hold;
        if (failNext !== undefined) {
          const error = failNext;
          failNext = undefined;
          throw error;
        }
      } finally {
        inFlight -= 1;
      }
    },
  };
}

describe('BatchWriter', () => {
  it('flushes as soon as a batch is full, without waiting for the linger', async () => {
    const s = sink();
    const writer = new BatchWriter({ maxBatchSize: 4, lingerMs: 60_000, flush: s.flush });
    const started = performance.now();
    await Promise.all([writer.write([1, 2]), writer.write([3, 4])]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('flushes a partial batch once its oldest item has waited the linger', async () => {
    const s = sink();
    const writer = new BatchWriter({ maxBatchSize: 100, lingerMs: 50, flush: s.flush });
    const started = performance.now();
    const first = writer.write([1]);
    await sleep(20);
    const second = writer.write([2]);
    await Promise.all([first, second]);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(500);
    expect(s.batches).toEqual([[1, 2]]);
  });

  it('resolves a write only after its batch is flushed', async () => {
    const s = sink();
    let release!: () => void;
    s.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const writer = new BatchWriter({ maxBatchSize: 1, lingerMs: 0, flush: s.flush });
    let done = false;
    const writing = writer.write([1]).then(() => (done = true));
    await sleep(30);
    expect(s.batches).toEqual([[1]]);
    expect(done).toBe(false);
    release();
    await writing;
    expect(done).toBe(true);
  });

  it('runs one flush at a time; writes arriving meanwhile form the next batch', async () => {
    const s = sink();
    let release!: () => void;
    s.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const writer = new BatchWriter({ maxBatchSize: 2, lingerMs: 0, flush: s.flush });
    const a = writer.write([1, 2]);
    await sleep(5);
    const b = writer.write([3]);
    const c = writer.write([4]);
    const d = writer.write([5]);
    await sleep(20);
    expect(s.batches).toEqual([[1, 2]]);
    expect(writer.buffered).toBe(3);
    release();
    await Promise.all([a, b, c, d]);
    expect(s.batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(s.maxInFlight).toBe(1);
  });

  it("fails every write of a failed batch, and only those; the writers' retry goes into a later batch", async () => {
    const s = sink();
    let release!: () => void;
    s.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    s.failOnce(new Error('clickhouse down'));
    const writer = new BatchWriter({ maxBatchSize: 2, lingerMs: 0, flush: s.flush });
    const a = writer.write([1]).catch((e: Error) => e.message);
    const b = writer.write([2]).catch((e: Error) => e.message);
    await sleep(5);
    const c = writer.write([3]).then(() => 'ok');
    release();
    expect(await a).toBe('clickhouse down');
    expect(await b).toBe('clickhouse down');
    expect(await c).toBe('ok');
    await writer.write([1, 2]);
    expect(s.batches).toEqual([[1, 2], [3], [1, 2]]);
  });

  it('with maxInFlight 2, fills and flushes the next batch while one is being written', async () => {
    const s = sink();
    let release!: () => void;
    s.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const writer = new BatchWriter({ maxBatchSize: 2, lingerMs: 0, maxInFlight: 2, flush: s.flush });
    const writes = [writer.write([1, 2]), writer.write([3, 4]), writer.write([5, 6])];
    await sleep(20);
    expect(s.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(s.maxInFlight).toBe(2);
    release();
    await Promise.all(writes);
    expect(s.batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(s.maxInFlight).toBe(2);
  });

  it('a flush that throws at once fails its writes and the writer goes on', async () => {
    let calls = 0;
    const writer = new BatchWriter<number>({
      maxBatchSize: 1,
      lingerMs: 0,
      flush: (() => {
        calls += 1;
        if (calls === 1) throw new Error('sync failure');
        return Promise.resolve();
      }) as (items: readonly number[]) => Promise<void>,
    });
    await expect(writer.write([1])).rejects.toThrow('sync failure');
    await writer.write([2]);
    expect(calls).toBe(2);
  });

  it('never splits one write, even one larger than a batch', async () => {
    const s = sink();
    const writer = new BatchWriter({ maxBatchSize: 3, lingerMs: 0, flush: s.flush });
    await Promise.all([writer.write([1, 2]), writer.write([3, 4, 5, 6, 7]), writer.write([8])]);
    expect(s.batches).toEqual([[1, 2], [3, 4, 5, 6, 7], [8]]);
  });

  it('close flushes what is buffered at once and refuses later writes', async () => {
    const s = sink();
    const writer = new BatchWriter({ maxBatchSize: 100, lingerMs: 60_000, flush: s.flush });
    const pending = writer.write([1, 2, 3]);
    await writer.close();
    await pending;
    expect(s.batches).toEqual([[1, 2, 3]]);
    await expect(writer.write([4])).rejects.toThrow(/closed/);
  });

  it('resolves an empty write at once', async () => {
    const s = sink();
    const writer = new BatchWriter({ maxBatchSize: 2, lingerMs: 60_000, flush: s.flush });
    await writer.write([]);
    expect(s.batches).toEqual([]);
  });
});
