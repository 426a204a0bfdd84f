import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles the ceiling on each failure up to the maximum', () => {
    const backoff = new Backoff(100, 1000, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('draws each delay uniformly below the ceiling (full jitter)', () => {
    const backoff = new Backoff(100, 1000, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([50, 100, 200]);
    expect(new Backoff(100, 1000, () => 0).next()).toBe(0);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(100, 1000, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('does not overflow after very many failures', () => {
    const backoff = new Backoff(100, 10_000, () => 1);
    for (let i = 0; i < 5000; i += 1) backoff.next();
    expect(backoff.next()).toBe(10_000);
  });
});
