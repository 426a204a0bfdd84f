import type { ColumnType } from 'kysely';
import type { CategoryName } from '../services/audit-category.ts';

/** Written as Date, read as Date. */
type Timestamp = ColumnType<Date, Date, Date>;

/**
 * The local store's one table (local mode, PGlite): the ClickHouse row of `audit_events` with the
 * month as a column of its own, since retention deletes by (category, month) here.
 */
export interface AuditEventsTable {
  /** The deduplication key (primary key, byte-ordered: the tiebreak of pages). */
  id: string;
  event_id: string;
  occurred_at_ms: number;
  /** YYYYMM of `occurred_at_ms` in UTC: ClickHouse's partition, the unit of retention. */
  month: number;
  category: CategoryName;
  account_id: string;
  service: string;
  action: string;
  actor_id: string;
  target_type: string;
  target_id: string;
  result: string;
  reason: string;
  ip_address: string;
  user_agent: string;
  trace_id: string;
  /** The metadata map as JSON text, exactly as received. */
  metadata: string;
  source: string;
  ingested_at: Timestamp;
}

export interface AuditDatabase {
  audit_events: AuditEventsTable;
}
