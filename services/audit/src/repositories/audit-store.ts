import type { AuditRow, StoredAuditRow } from '../dtos/audit.dto.ts';
import type { PageCursor } from '../services/page-token.ts';
import type { StoredPartition } from '../services/retention-policy.ts';

/** Which events a query reads. */
export type AuditFilter =
  | { readonly kind: 'login'; readonly accountId: string }
  | { readonly kind: 'admin'; readonly actorId?: string }
  | { readonly kind: 'trail'; readonly accountId: string };

export interface AuditQuery {
  readonly filter: AuditFilter;
  /** Inclusive, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive, epoch ms. */
  readonly toMs?: number;
  readonly after?: PageCursor;
  readonly limit: number;
}

export interface InsertOutcome {
  readonly inserted: number;
  /** Rows already stored (a redelivery) or repeated within the batch: not written again. */
  readonly duplicates: number;
}

/**
 * Where the audit trail is kept: ClickHouse (`AuditEventRepository`) or, in local mode, the
 * embedded store (`LocalAuditEventRepository`). Both answer the same contract (test/audit-store.test.ts):
 *
 * - a login is `account.login`, `account.login.*` or `account.lock` in the `access` category of
 *   the account; admin actions are the `admin` category; an account's trail is what it did and
 *   what was done to it (target type `account`);
 * - pages are newest first, then id descending (byte order), `after` continuing below the cursor;
 * - an event id is stored once, however often it is inserted;
 * - retention works on (category, UTC month) partitions.
 *
 * Methods take the caller's abort signal; the resilience policy (timeout, retries, breaker) around
 * them is the caller's.
 */
export interface AuditStore {
  /** Creates what the store needs (idempotent; run at start, or by the first write if that failed). */
  ensureSchema(signal?: AbortSignal): Promise<void>;
  /** Writes the rows whose ids are not stored yet; repeats within the batch are written once. */
  insertNew(rows: readonly AuditRow[], signal?: AbortSignal): Promise<InsertOutcome>;
  /** One page of `query.limit` rows at most, newest first (then id descending). */
  find(query: AuditQuery, signal?: AbortSignal): Promise<StoredAuditRow[]>;
  /** Every (category, month) holding events, with its row count. */
  partitions(signal?: AbortSignal): Promise<StoredPartition[]>;
  /** Removes every event of the category and month; a partition that is gone already is no error. */
  dropPartition(partition: Pick<StoredPartition, 'category' | 'month'>, signal?: AbortSignal): Promise<void>;
}
