import type { ColumnType, Kysely, Transaction } from 'kysely';

/**
 * One data-subject request this service has answered: the dedup record of the DSR protocol
 * (`legal.dsr.v1`), keyed like the protocol says participants deduplicate, by (request, service).
 */
export interface DsrAnswersTable {
  request_id: string;
  /** The answering service, e.g. `identity-service`. */
  service: string;
  account_id: string;
  /** `ACCESS`, `PORTABILITY` or `ERASURE`. */
  type: string;
  /**
   * The `DsrPartCompleted` published, in proto3 JSON, re-published as is when the request comes
   * again. Null only inside the transaction that is answering (the row is claimed first).
   * Written as JSON text, like the outbox's `data`.
   */
  answer: ColumnType<unknown, string | null | undefined, string | null>;
  answered_at: ColumnType<Date, never, never>;
}

/** Add this to a service's `Database` interface (beside `OutboxDatabase`). */
export interface DsrDatabase {
  dsr_answers: DsrAnswersTable;
}

/** The participant's view of a service database (the same invariance cast as `outboxView`). */
export function dsrView<DB extends DsrDatabase>(db: Transaction<DB> | Kysely<DB>): Kysely<DsrDatabase> {
  return db as unknown as Kysely<DsrDatabase>;
}
