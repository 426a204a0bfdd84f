import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuthDatabase, OperatorAssignmentsTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type OperatorAssignmentRow = Selectable<OperatorAssignmentsTable>;

const COLUMNS = [
  'operator_assignments.id',
  'operator_assignments.account_id',
  'operator_assignments.service',
  'operator_assignments.country',
  'operator_assignments.permissions',
  'operator_assignments.granted_by',
  'operator_assignments.created_at',
  'operator_assignments.revoked_at',
  'operator_assignments.revoked_by',
] as const;

export interface OperatorAssignmentFilter {
  readonly accountId?: string;
  readonly service?: string;
  readonly country?: string;
  readonly includeRevoked: boolean;
  readonly afterId?: string;
  readonly limit: number;
}

/** Per-service, per-country permission grants of operator accounts (soft-revoked). */
@Injectable()
export class OperatorAssignmentRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async insert(row: Insertable<OperatorAssignmentsTable>, tx: Executor): Promise<OperatorAssignmentRow> {
    return tx.insertInto('operator_assignments').values(row).returning(COLUMNS).executeTakeFirstOrThrow();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<OperatorAssignmentRow | undefined> {
    return tx
      .selectFrom('operator_assignments')
      .select(COLUMNS)
      .where('operator_assignments.id', '=', id)
      .executeTakeFirst();
  }

  /** Revokes a live assignment; undefined when there was none to revoke. */
  async revoke(
    id: string,
    actorId: string | null,
    now: Date,
    tx: Executor,
  ): Promise<OperatorAssignmentRow | undefined> {
    return tx
      .updateTable('operator_assignments')
      .set({ revoked_at: now, revoked_by: actorId })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(COLUMNS)
      .executeTakeFirst();
  }

  /** Every assignment the account ever had (revoked ones too), oldest first. */
  async listByAccount(accountId: string, tx: Executor = this.#db): Promise<OperatorAssignmentRow[]> {
    return tx
      .selectFrom('operator_assignments')
      .select(COLUMNS)
      .where('operator_assignments.account_id', '=', accountId)
      .orderBy('operator_assignments.id')
      .execute();
  }

  /** Erasure: the account's assignments go, history included. Returns how many rows went. */
  async deleteByAccount(accountId: string, tx: Executor): Promise<number> {
    const result = await tx
      .deleteFrom('operator_assignments')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async list(filter: OperatorAssignmentFilter, tx: Executor = this.#db): Promise<OperatorAssignmentRow[]> {
    let query = tx
      .selectFrom('operator_assignments')
      .select(COLUMNS)
      .orderBy('operator_assignments.id')
      .limit(filter.limit);
    if (filter.accountId !== undefined)
      query = query.where('operator_assignments.account_id', '=', filter.accountId);
    if (filter.service !== undefined)
      query = query.where('operator_assignments.service', '=', filter.service);
    if (filter.country !== undefined)
      query = query.where('operator_assignments.country', '=', filter.country);
    if (!filter.includeRevoked) query = query.where('operator_assignments.revoked_at', 'is', null);
    if (filter.afterId !== undefined) query = query.where('operator_assignments.id', '>', filter.afterId);
    return query.execute();
  }
}
