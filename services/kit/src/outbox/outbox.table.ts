import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

/**
 * One event waiting to be published. Every row in the table is pending: the relay deletes a row in
 * the statement that records it as published, so the table only ever holds the backlog.
 */
export interface OutboxEventsTable {
  /** Relay order. int8 arrives from `pg` as a string, which keeps values past 2^53 exact. */
  seq: Generated<string>;
  /** The CloudEvents id (UUIDv7), the idempotency key consumers deduplicate on. */
  id: string;
  topic: string;
  /** The aggregate id: the Kafka message key, so one aggregate stays in one partition, in order. */
  key: string;
  /** The CloudEvents type, e.g. `dev.girok.identity.account.created.v1`. */
  type: string;
  source: string;
  subject: string | null;
  /**
   * Written as JSON text (never as a JS value: `pg` would turn an array into a PostgreSQL array).
   * The relay reads it back as text, so what reaches Kafka is exactly what PostgreSQL stored.
   */
  data: ColumnType<unknown, string, never>;
  /** Start of the writing transaction: when the state change happened, and the lower bound for recovery. */
  created_at: ColumnType<Date, never, never>;
}

/** Add this to a service's `Database` interface (or intersect with it). */
export interface OutboxDatabase {
  outbox_events: OutboxEventsTable;
}

/**
 * The outbox's view of a service database. Kysely types are invariant in the database type, so a
 * `Kysely<Database>` is not a `Kysely<OutboxDatabase>` even when `Database` has the table; the
 * constraint on DB is what makes this cast sound.
 */
export function outboxView<DB extends OutboxDatabase>(
  db: Transaction<DB> | Kysely<DB>,
): Kysely<OutboxDatabase> {
  return db as unknown as Kysely<OutboxDatabase>;
}
