import { type CategoryName, isCategoryName } from './audit-category.ts';

/** Months each category is kept. */
export type RetentionPolicy = Readonly<Record<CategoryName, number>>;

/** One monthly partition of one category, as `system.parts` lists it. */
export interface StoredPartition {
  readonly category: string;
  /** YYYYMM (UTC), the partition's `toYYYYMM(occurred_at)`. */
  readonly month: number;
  readonly rows: number;
}

const monthIndex = (yyyymm: number) => Math.floor(yyyymm / 100) * 12 + ((yyyymm % 100) - 1);
const fromIndex = (index: number) => Math.floor(index / 12) * 100 + (index % 12) + 1;

/** The YYYYMM of `date` in UTC. */
export function monthOf(date: Date): number {
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
}

/** `202103` → `2021-03`. */
export function formatMonth(yyyymm: number): string {
  return `${Math.floor(yyyymm / 100)}-${String(yyyymm % 100).padStart(2, '0')}`;
}

/** The policy of a stored category; a category this version does not know falls under `other`. */
export function retentionMonths(policy: RetentionPolicy, category: string): number {
  return isCategoryName(category) ? policy[category] : policy.other;
}

/**
 * The oldest month of `category` that is kept at `now`: the month `months` before the current
 * one. Everything in it is younger than `months` months plus one, everything before it older than
 * `months` months, so events are kept at least the policy's period and at most a month longer.
 */
export function oldestKeptMonth(policy: RetentionPolicy, category: string, now: Date): number {
  return fromIndex(monthIndex(monthOf(now)) - retentionMonths(policy, category));
}

/** The partitions whose whole month is past its category's retention at `now`, oldest first. */
export function partitionsPastPolicy(
  partitions: readonly StoredPartition[],
  policy: RetentionPolicy,
  now: Date,
): StoredPartition[] {
  return partitions
    .filter((p) => p.month < oldestKeptMonth(policy, p.category, now))
    .sort((a, b) => a.month - b.month || a.category.localeCompare(b.category));
}
