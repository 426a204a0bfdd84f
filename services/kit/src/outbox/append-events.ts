import type { Insertable, Kysely, Transaction } from 'kysely';
import { uuidv7 } from '../ids/uuidv7.ts';
import { type OutboxDatabase, type OutboxEventsTable, outboxView } from './outbox.table.ts';

/** An event to publish once the caller's transaction commits. */
export interface OutboxEventInput {
  /** `<domain>.<aggregate>.v1`, e.g. `identity.account.v1`. */
  readonly topic: string;
  /** The aggregate id; events with the same key are delivered in the order they were appended. */
  readonly key: string;
  /** CloudEvents `type`. */
  readonly type: string;
  /** CloudEvents `source`, e.g. `/girok/identity-service`. */
  readonly source: string;
  /** CloudEvents `subject`, e.g. the account id the event is about, when it differs from the key. */
  readonly subject?: string;
  /** Anything `JSON.stringify` turns into JSON text. */
  readonly data: unknown;
}

/**
 * Inserts events inside the caller's transaction, so they exist if and only if the state change
 * they describe commits. Pass the kysely `Transaction` (a pool-level `Kysely` works but gives up
 * that guarantee). Returns the event ids in input order.
 */
export async function appendEvents<DB extends OutboxDatabase>(
  // Both members spelled out: TypeScript cannot infer DB from a Transaction<DB> against Kysely<DB>.
  trx: Transaction<DB> | Kysely<DB>,
  events: readonly OutboxEventInput[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = outboxRows(events);
  await outboxView(trx).insertInto('outbox_events').values(rows).execute();
  return rows.map((row) => row.id);
}

/**
 * The `outbox_events` rows for `events`, for a repository that writes its state change and its
 * events in one statement (a data-modifying CTE): atomic without a transaction round trip.
 */
export function outboxRows(events: readonly OutboxEventInput[]): Insertable<OutboxEventsTable>[] {
  return events.map((event) => ({
    id: uuidv7(),
    topic: event.topic,
    key: event.key,
    type: event.type,
    source: event.source,
    subject: event.subject ?? null,
    data: toJsonText(event),
  }));
}

function toJsonText(event: OutboxEventInput): string {
  // JSON.stringify returns undefined (not a string) for undefined, functions and symbols; fail here,
  // in the caller's transaction, rather than store an event no consumer could read.
  const text: string | undefined = JSON.stringify(event.data);
  if (text === undefined) {
    throw new TypeError(`outbox event ${event.type} on ${event.topic}: data is not JSON-serialisable`);
  }
  return text;
}
