import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuthDatabase, SanctionsTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type SanctionRow = Selectable<SanctionsTable>;

export const SANCTION_COLUMNS = [
  'sanctions.id',
  'sanctions.account_id',
  'sanctions.type',
  'sanctions.reason',
  'sanctions.features',
  'sanctions.starts_at',
  'sanctions.ends_at',
  'sanctions.issued_by',
  'sanctions.created_at',
  'sanctions.revoked_at',
  'sanctions.revoked_by',
  'sanctions.revoke_reason',
] as const;

/** Warnings, bans and feature restrictions (soft-revoked). */
@Injectable()
export class SanctionRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async insert(row: Insertable<SanctionsTable>, tx: Executor): Promise<SanctionRow> {
    return tx.insertInto('sanctions').values(row).returning(SANCTION_COLUMNS).executeTakeFirstOrThrow();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<SanctionRow | undefined> {
    return tx
      .selectFrom('sanctions')
      .select(SANCTION_COLUMNS)
      .where('sanctions.id', '=', id)
      .executeTakeFirst();
  }

  /** Revokes a sanction not yet revoked; undefined when there was none to revoke. */
  async revoke(
    id: string,
    change: { actorId: string | null; reason: string },
    now: Date,
    tx: Executor,
  ): Promise<SanctionRow | undefined> {
    return tx
      .updateTable('sanctions')
      .set({ revoked_at: now, revoked_by: change.actorId, revoke_reason: change.reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(SANCTION_COLUMNS)
      .executeTakeFirst();
  }

  /** Every sanction of the account (lifted ones too), oldest first. */
  async listByAccount(accountId: string, tx: Executor = this.#db): Promise<SanctionRow[]> {
    return tx
      .selectFrom('sanctions')
      .select(SANCTION_COLUMNS)
      .where('sanctions.account_id', '=', accountId)
      .orderBy('sanctions.id')
      .execute();
  }

  /** An account's sanctions, newest first; `inForceAt` keeps only those in force at that moment. */
  async list(
    filter: { accountId: string; inForceAt?: Date; beforeId?: string; limit: number },
    tx: Executor = this.#db,
  ): Promise<SanctionRow[]> {
    let query = tx
      .selectFrom('sanctions')
      .select(SANCTION_COLUMNS)
      .where('sanctions.account_id', '=', filter.accountId)
      .orderBy('sanctions.id', 'desc')
      .limit(filter.limit);
    const at = filter.inForceAt;
    if (at !== undefined) {
      query = query
        .where('sanctions.revoked_at', 'is', null)
        .where('sanctions.starts_at', '<=', at)
        .where((eb) => eb.or([eb('sanctions.ends_at', 'is', null), eb('sanctions.ends_at', '>', at)]));
    }
    if (filter.beforeId !== undefined) query = query.where('sanctions.id', '<', filter.beforeId);
    return query.execute();
  }
}
