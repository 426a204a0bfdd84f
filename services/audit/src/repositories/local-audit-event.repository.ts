import { migrateToLatest } from '@girok/kit/db';
import type { ExpressionBuilder, Insertable, Kysely } from 'kysely';
import { type AuditRow, READ_COLUMNS, type StoredAuditRow } from '../dtos/audit.dto.ts';
import { migrations } from '../migrations/index.ts';
import type { AuditDatabase, AuditEventsTable } from '../schema/database.ts';
import { monthOf, type StoredPartition } from '../services/retention-policy.ts';
import type { AuditFilter, AuditQuery, AuditStore, InsertOutcome } from './audit-store.ts';

/** Rows per INSERT statement: 19 parameters each stays far below PostgreSQL's 65535. */
const INSERT_CHUNK = 1000;

type Where = ExpressionBuilder<AuditDatabase, 'audit_events'>;

/**
 * Local mode's audit store (docs/architecture.md §6: no ClickHouse to install): the `audit_events` table in the
 * PGlite database `AUDIT_LOCAL_DATABASE_URL` names, kept on disk across restarts like the other
 * services' local data. It answers the `AuditStore` contract as ClickHouse does: the primary key
 * on the event id makes a redelivery add nothing, pages come newest first then by id in byte order,
 * and retention deletes the rows of a (category, month) instead of dropping a partition.
 */
export class LocalAuditEventRepository implements AuditStore {
  readonly #db: Kysely<AuditDatabase>;

  constructor(db: Kysely<AuditDatabase>) {
    this.#db = db;
  }

  async ensureSchema(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await migrateToLatest(this.#db, migrations);
  }

  /** One transaction: `ON CONFLICT DO NOTHING` on the id is the look-up and the insert at once. */
  async insertNew(rows: readonly AuditRow[], signal?: AbortSignal): Promise<InsertOutcome> {
    signal?.throwIfAborted();
    const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
    if (unique.length === 0) return { inserted: 0, duplicates: rows.length };
    const inserted = await this.#db.transaction().execute(async (tx) => {
      let count = 0;
      for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
        const written = await tx
          .insertInto('audit_events')
          .values(unique.slice(i, i + INSERT_CHUNK).map(toInsertable))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .returning('id')
          .execute();
        count += written.length;
      }
      return count;
    });
    return { inserted, duplicates: rows.length - inserted };
  }

  async find(query: AuditQuery, signal?: AbortSignal): Promise<StoredAuditRow[]> {
    signal?.throwIfAborted();
    const { fromMs, toMs, after } = query;
    let select = this.#db
      .selectFrom('audit_events')
      .select(READ_COLUMNS)
      .where((eb) => filterOf(eb, query.filter));
    if (fromMs !== undefined) select = select.where('occurred_at_ms', '>=', fromMs);
    if (toMs !== undefined) select = select.where('occurred_at_ms', '<', toMs);
    if (after !== undefined) {
      select = select.where((eb) =>
        eb.or([
          eb('occurred_at_ms', '<', after.occurredAtMs),
          eb.and([eb('occurred_at_ms', '=', after.occurredAtMs), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await select
      .orderBy('occurred_at_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    // As ClickHouse answers in JSON: every column a string (UInt64 included).
    return rows.map((row) => ({ ...row, occurred_at_ms: String(row.occurred_at_ms) }));
  }

  async partitions(signal?: AbortSignal): Promise<StoredPartition[]> {
    signal?.throwIfAborted();
    const rows = await this.#db
      .selectFrom('audit_events')
      .select((eb) => ['category', 'month', eb.fn.countAll<number>().as('rows')])
      .groupBy(['category', 'month'])
      .execute();
    return rows.map((row) => ({ category: row.category, month: row.month, rows: Number(row.rows) }));
  }

  async dropPartition(
    partition: Pick<StoredPartition, 'category' | 'month'>,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    await this.#db
      .deleteFrom('audit_events')
      .where('category', '=', partition.category as AuditEventsTable['category'])
      .where('month', '=', partition.month)
      .execute();
  }
}

function toInsertable(row: AuditRow): Insertable<AuditEventsTable> {
  return {
    id: row.id,
    event_id: row.event_id,
    occurred_at_ms: row.occurred_at_ms,
    month: monthOf(new Date(row.occurred_at_ms)),
    category: row.category,
    account_id: row.account_id,
    service: row.service,
    action: row.action,
    actor_id: row.actor_id,
    target_type: row.target_type,
    target_id: row.target_id,
    result: row.result,
    reason: row.reason,
    ip_address: row.ip_address,
    user_agent: row.user_agent,
    trace_id: row.trace_id,
    metadata: row.metadata,
    source: row.source,
    ingested_at: new Date(`${row.ingested_at.replace(' ', 'T')}Z`),
  };
}

function filterOf(eb: Where, filter: AuditFilter) {
  switch (filter.kind) {
    case 'login':
      return eb.and([
        eb('category', '=', 'access'),
        eb.or([
          eb('action', '=', 'account.login'),
          eb('action', 'like', 'account.login.%'),
          eb('action', '=', 'account.lock'),
        ]),
        ofAccount(eb, filter.accountId),
      ]);
    case 'admin':
      return filter.actorId === undefined
        ? eb('category', '=', 'admin')
        : eb.and([eb('category', '=', 'admin'), eb('actor_id', '=', filter.actorId)]);
    case 'trail':
      return ofAccount(eb, filter.accountId);
  }
}

/** The account acted, or (an admin, or an anonymous attempt) acted on the account. */
const ofAccount = (eb: Where, accountId: string) =>
  eb.or([
    eb('account_id', '=', accountId),
    eb.and([eb('target_type', '=', 'account'), eb('target_id', '=', accountId)]),
  ]);
