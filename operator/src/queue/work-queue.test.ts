import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.ts';

const options = { concurrency: 4, baseDelayMs: 10, maxDelayMs: 80 };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('never runs one key twice at once, and runs it again when it was added meanwhile', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const queue = new WorkQueue(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs++;
      await tick(20);
      inFlight--;
      return {};
    }, options);
    queue.add('ns/a');
    await tick(5);
    queue.add('ns/a');
    queue.add('ns/a');
    await tick(5);
    await queue.idle();
    expect(maxInFlight).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const queue = new WorkQueue(
      async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick(20);
        inFlight--;
        return {};
      },
      { ...options, concurrency: 2 },
    );
    for (const k of ['a', 'b', 'c', 'd']) queue.add(k);
    await queue.idle();
    expect(maxInFlight).toBe(2);
  });

  it('backs off exponentially per key on failure and resets after a success', async () => {
    const at: number[] = [];
    const started = Date.now();
    const queue = new WorkQueue(async () => {
      at.push(Date.now() - started);
      if (at.length <= 3) throw new Error('API server unavailable');
      return {};
    }, options);
    queue.add('k');
    while (at.length < 4) await tick(5);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(queue.backoffMs('k')).toBe(10);
  });

  it('requeues a key after the delay its handler asks for', async () => {
    let runs = 0;
    const queue = new WorkQueue(async () => (++runs < 3 ? { requeueAfterMs: 15 } : {}), options);
    queue.add('waiting');
    await tick(80);
    expect(runs).toBe(3);
    await queue.shutdown();
  });
});
