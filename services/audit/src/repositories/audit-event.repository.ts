import type { ClickHouseClient } from '@clickhouse/client';
import { type AuditRow, READ_COLUMNS, type StoredAuditRow } from '../dtos/audit.dto.ts';
import type { StoredPartition } from '../services/retention-policy.ts';
import type { AuditFilter, AuditQuery, AuditStore, InsertOutcome } from './audit-store.ts';
import { sqlIdentifier, sqlString, sqlStringList, sqlUInt } from './clickhouse-sql.ts';

export const AUDIT_TABLE = 'audit_events';

/** The login actions of identity-service: password and MFA steps, and the lock they can lead to. */
const LOGIN_ACTIONS =
  "(action = 'account.login' OR action LIKE 'account.login.%' OR action = 'account.lock')";

/**
 * The `audit_events` table in ClickHouse: every I/O of the audit trail. Methods run one request
 * each and take the caller's abort signal; the resilience policy around them is the caller's.
 */
export class AuditEventRepository implements AuditStore {
  readonly #client: ClickHouseClient;
  readonly #database: string;
  readonly #table: string;

  constructor(client: ClickHouseClient, database: string) {
    this.#client = client;
    this.#database = sqlIdentifier(database);
    this.#table = `${this.#database}.${AUDIT_TABLE}`;
  }

  /**
   * Creates the database and the table when missing (idempotent; every replica does it at start).
   * ReplacingMergeTree keyed by a sorting key that ends in the event id, partitioned by category
   * and month so retention drops whole partitions per category (ADR 0013).
   */
  async ensureSchema(signal?: AbortSignal): Promise<void> {
    await this.#client.command({
      query: `CREATE DATABASE IF NOT EXISTS ${this.#database}`,
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
    await this.#client.command({
      query: `CREATE TABLE IF NOT EXISTS ${this.#table} (
          id String,
          event_id String,
          occurred_at DateTime('UTC'),
          occurred_at_ms UInt64,
          category String,
          account_id String,
          service String,
          action String,
          actor_id String,
          target_type String,
          target_id String,
          result String,
          reason String,
          ip_address String,
          user_agent String,
          trace_id String,
          metadata String,
          source String,
          ingested_at DateTime('UTC')
        ) ENGINE = ReplacingMergeTree
        PARTITION BY (category, toYYYYMM(occurred_at))
        ORDER BY (account_id, occurred_at, id)`,
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
  }

  /**
   * Writes the rows not stored yet. The ids of the batch that already exist (a redelivery after a
   * crash, a retry after a write whose answer was lost) are looked up first, in the partitions the
   * batch's time range can touch, and skipped; repeats inside the batch are written once.
   * Between the look-up and the insert nobody else writes the same ids: an event and its
   * redeliveries share a Kafka key, hence a partition, which one consumer owns and writes batch
   * after batch. The exception is a consumer that lost its partitions in a rebalance while
   * writing: the table's ReplacingMergeTree key and FINAL reads cover that window (ADR 0013).
   */
  async insertNew(rows: readonly AuditRow[], signal?: AbortSignal): Promise<InsertOutcome> {
    const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
    if (unique.length === 0) return { inserted: 0, duplicates: rows.length };
    const times = unique.map((row) => row.occurred_at_ms);
    const fromS = Math.floor(Math.min(...times) / 1000);
    const toS = Math.floor(Math.max(...times) / 1000);
    const existing = await this.#client.query({
      // account_id (the sorting key's first column) lets the primary index skip most granules, and
      // the time range most partitions: the look-up reads a few granules, not a month of ids.
      query: `SELECT DISTINCT id FROM ${this.#table}
        WHERE account_id IN ${sqlStringList([...new Set(unique.map((row) => row.account_id))])}
          AND occurred_at >= toDateTime(${sqlUInt(fromS)}) AND occurred_at <= toDateTime(${sqlUInt(toS)})
          AND id IN ${sqlStringList(unique.map((row) => row.id))}`,
      format: 'JSONEachRow',
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
    const stored = new Set((await existing.json<{ id: string }>()).map((row) => row.id));
    const fresh = unique.filter((row) => !stored.has(row.id));
    if (fresh.length > 0) {
      await this.#client.insert({
        table: this.#table,
        values: fresh as AuditRow[],
        format: 'JSONEachRow',
        ...(signal === undefined ? {} : { abort_signal: signal }),
      });
    }
    return { inserted: fresh.length, duplicates: rows.length - fresh.length };
  }

  /** One page, newest first (then id descending), read with FINAL so a duplicate never shows twice. */
  async find(query: AuditQuery, signal?: AbortSignal): Promise<StoredAuditRow[]> {
    const where = [filterSql(query.filter)];
    if (query.fromMs !== undefined) {
      where.push(
        `occurred_at >= toDateTime(${sqlUInt(Math.floor(query.fromMs / 1000))})`,
        `occurred_at_ms >= ${sqlUInt(query.fromMs)}`,
      );
    }
    if (query.toMs !== undefined) {
      where.push(
        `occurred_at <= toDateTime(${sqlUInt(Math.floor(query.toMs / 1000))})`,
        `occurred_at_ms < ${sqlUInt(query.toMs)}`,
      );
    }
    if (query.after !== undefined) {
      const t = sqlUInt(query.after.occurredAtMs);
      where.push(
        `occurred_at <= toDateTime(${sqlUInt(Math.floor(query.after.occurredAtMs / 1000))})`,
        `(occurred_at_ms < ${t} OR (occurred_at_ms = ${t} AND id < ${sqlString(query.after.id)}))`,
      );
    }
    const result = await this.#client.query({
      query: `SELECT ${READ_COLUMNS.join(', ')} FROM ${this.#table} FINAL
        WHERE ${where.join(' AND ')}
        ORDER BY occurred_at_ms DESC, id DESC
        LIMIT ${sqlUInt(query.limit)}`,
      format: 'JSONEachRow',
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
    return result.json<StoredAuditRow>();
  }

  /** The table's partitions with their row counts (from `system.parts`, no scan of the data). */
  async partitions(signal?: AbortSignal): Promise<StoredPartition[]> {
    const result = await this.#client.query({
      query: `SELECT partition, sum(rows) AS rows FROM system.parts
        WHERE database = ${sqlString(this.#database)} AND table = ${sqlString(AUDIT_TABLE)} AND active
        GROUP BY partition`,
      format: 'JSONEachRow',
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
    const partitions: StoredPartition[] = [];
    for (const row of await result.json<{ partition: string; rows: string }>()) {
      const parsed = parsePartition(row.partition);
      if (parsed !== undefined) partitions.push({ ...parsed, rows: Number(row.rows) });
    }
    return partitions;
  }

  async dropPartition(
    partition: Pick<StoredPartition, 'category' | 'month'>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#client.command({
      query: `ALTER TABLE ${this.#table} DROP PARTITION (${sqlString(partition.category)}, ${sqlUInt(partition.month)})`,
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
  }

  async ping(): Promise<boolean> {
    return (await this.#client.ping()).success;
  }
}

function filterSql(filter: AuditFilter): string {
  switch (filter.kind) {
    case 'login':
      return `category = 'access' AND ${LOGIN_ACTIONS} AND ${ofAccount(filter.accountId)}`;
    case 'admin':
      return filter.actorId === undefined
        ? "category = 'admin'"
        : `category = 'admin' AND actor_id = ${sqlString(filter.actorId)}`;
    case 'trail':
      return ofAccount(filter.accountId);
  }
}

/** The account acted, or (an admin, or an anonymous attempt) acted on the account. */
const ofAccount = (accountId: string) =>
  `(account_id = ${sqlString(accountId)} OR (target_type = 'account' AND target_id = ${sqlString(accountId)}))`;

/** `('access',202101)` → `{ category: 'access', month: 202101 }`; our categories are plain words. */
export function parsePartition(text: string): { category: string; month: number } | undefined {
  const match = /^\('([a-z_]+)',(\d{6})\)$/.exec(text);
  if (match === null) return undefined;
  return { category: match[1] as string, month: Number(match[2]) };
}
