import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuthDatabase, RoleAssignmentsTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

/** An assignment with what callers show and check of its role. */
export interface RoleAssignmentRow extends Selectable<RoleAssignmentsTable> {
  role_name: string;
  role_level: number;
}

const ASSIGNMENT_COLUMNS = [
  'role_assignments.id',
  'role_assignments.account_id',
  'role_assignments.role_id',
  'role_assignments.service',
  'role_assignments.granted_by',
  'role_assignments.created_at',
  'role_assignments.expires_at',
  'role_assignments.revoked_at',
  'role_assignments.revoked_by',
  'roles.name as role_name',
  'roles.level as role_level',
] as const;

/** Who holds which role (soft-revoked, so the history stays). */
@Injectable()
export class RoleAssignmentRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  #select(tx: Executor) {
    return tx
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select(ASSIGNMENT_COLUMNS);
  }

  /** Inserts the assignment; the live-assignment unique index refuses a duplicate. */
  async insert(assignment: Insertable<RoleAssignmentsTable>, tx: Executor): Promise<void> {
    await tx.insertInto('role_assignments').values(assignment).execute();
  }

  /**
   * Closes expired grants of the same role (so assigning it again is a new grant rather than a
   * duplicate of one that no longer counts).
   */
  async closeExpired(
    key: { accountId: string; roleId: string; service: string },
    now: Date,
    tx: Executor,
  ): Promise<void> {
    await tx
      .updateTable('role_assignments')
      .set({ revoked_at: now })
      .where('account_id', '=', key.accountId)
      .where('role_id', '=', key.roleId)
      .where('service', '=', key.service)
      .where('revoked_at', 'is', null)
      .where('expires_at', '<=', now)
      .execute();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<RoleAssignmentRow | undefined> {
    return this.#select(tx).where('role_assignments.id', '=', id).executeTakeFirst();
  }

  /** Revokes a live assignment; undefined when there was none to revoke. */
  async revoke(
    id: string,
    actorId: string | null,
    now: Date,
    tx: Executor,
  ): Promise<RoleAssignmentRow | undefined> {
    const revoked = await tx
      .updateTable('role_assignments')
      .set({ revoked_at: now, revoked_by: actorId })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return revoked === undefined ? undefined : this.findById(id, tx);
  }

  /** Every grant the account ever had (revoked and expired ones too), oldest first. */
  async listByAccount(accountId: string, tx: Executor = this.#db): Promise<RoleAssignmentRow[]> {
    return this.#select(tx)
      .where('role_assignments.account_id', '=', accountId)
      .orderBy('role_assignments.id')
      .execute();
  }

  /** Erasure: the account's grants go, history included. Returns how many rows went. */
  async deleteByAccount(accountId: string, tx: Executor): Promise<number> {
    const result = await tx
      .deleteFrom('role_assignments')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Grants in force: not revoked, not expired. */
  async listLive(
    filter: { accountId?: string; afterId?: string; limit: number },
    now: Date,
    tx: Executor = this.#db,
  ): Promise<RoleAssignmentRow[]> {
    let query = this.#select(tx)
      .where('role_assignments.revoked_at', 'is', null)
      .where((eb) =>
        eb.or([eb('role_assignments.expires_at', 'is', null), eb('role_assignments.expires_at', '>', now)]),
      )
      .orderBy('role_assignments.id')
      .limit(filter.limit);
    if (filter.accountId !== undefined)
      query = query.where('role_assignments.account_id', '=', filter.accountId);
    if (filter.afterId !== undefined) query = query.where('role_assignments.id', '>', filter.afterId);
    return query.execute();
  }

  /** The highest level among the account's grants in force; 0 when it holds none. */
  async highestLevel(accountId: string, now: Date, tx: Executor = this.#db): Promise<number> {
    const row = await tx
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select((eb) => eb.fn.max('roles.level').as('level'))
      .where('role_assignments.account_id', '=', accountId)
      .where('role_assignments.revoked_at', 'is', null)
      .where((eb) =>
        eb.or([eb('role_assignments.expires_at', 'is', null), eb('role_assignments.expires_at', '>', now)]),
      )
      .executeTakeFirst();
    return row?.level ?? 0;
  }

  /** Grants of a role that still count (a role in use is not deleted). */
  async countLiveForRole(roleId: string, now: Date, tx: Executor): Promise<number> {
    const row = await tx
      .selectFrom('role_assignments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role_id', '=', roleId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
