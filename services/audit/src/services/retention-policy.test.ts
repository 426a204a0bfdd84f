import { describe, expect, it } from 'vitest';
import {
  formatMonth,
  monthOf,
  oldestKeptMonth,
  partitionsPastPolicy,
  type RetentionPolicy,
  type StoredPartition,
} from './retention-policy.ts';

const policy: RetentionPolicy = { access: 60, consent: 60, admin: 60, other: 24 };
const now = new Date('2026-11-26T10:00:00Z');
const part = (category: string, month: number, rows = 1): StoredPartition => ({ category, month, rows });

describe('retention by monthly partition', () => {
  it('keeps five years of access and consent history: the oldest kept month is 60 months back', () => {
    expect(oldestKeptMonth(policy, 'access', now)).toBe(202111);
    expect(oldestKeptMonth(policy, 'consent', now)).toBe(202111);
    expect(oldestKeptMonth(policy, 'other', now)).toBe(202411);
  });

  it('crosses year boundaries correctly', () => {
    expect(oldestKeptMonth(policy, 'other', new Date('2026-01-01T00:00:00Z'))).toBe(202401);
    expect(oldestKeptMonth({ ...policy, other: 1 }, 'other', new Date('2026-01-31T23:59:59Z'))).toBe(202512);
    expect(oldestKeptMonth({ ...policy, other: 13 }, 'other', new Date('2026-01-15T00:00:00Z'))).toBe(202412);
  });

  it('drops only whole months older than the period, per category, oldest first', () => {
    const stored = [
      part('access', 202111), // kept: its latest days are younger than 60 months
      part('access', 202110), // dropped: the whole month is older than 60 months
      part('other', 202410), // dropped under the 24-month rule
      part('other', 202411),
      part('consent', 201901),
      part('admin', 202612),
      part('access', 202611),
    ];
    expect(partitionsPastPolicy(stored, policy, now)).toEqual([
      part('consent', 201901),
      part('access', 202110),
      part('other', 202410),
    ]);
  });

  it('never drops a month that still holds events younger than the period', () => {
    // Every event of a dropped month is older than the period at the moment of dropping.
    for (const months of [1, 12, 24, 60]) {
      const p: RetentionPolicy = { access: months, consent: months, admin: months, other: months };
      for (let day = 0; day < 800; day += 7) {
        const at = new Date(Date.UTC(2025, 0, 1) + day * 86_400_000);
        const cutoff = new Date(at);
        cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
        for (const dropped of partitionsPastPolicy(
          [part('access', monthOf(cutoff)), part('access', monthOf(cutoff) - 1)],
          p,
          at,
        )) {
          const y = Math.floor(dropped.month / 100);
          const m = dropped.month % 100;
          const lastInstant = Date.UTC(y, m, 1) - 1;
          expect(lastInstant).toBeLessThan(cutoff.getTime());
        }
      }
    }
  });

  it('treats a category it does not know as other', () => {
    expect(partitionsPastPolicy([part('legacy', 202410)], policy, now)).toEqual([part('legacy', 202410)]);
  });

  it('formats months', () => {
    expect(formatMonth(202103)).toBe('2021-03');
    expect(monthOf(new Date('2021-12-31T23:59:59Z'))).toBe(202112);
  });
});
