import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { AuthDatabase, PermissionsTable, RolesTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type RoleRow = Selectable<RolesTable>;
export type PermissionRow = Selectable<PermissionsTable>;

const ROLE_COLUMNS = [
  'roles.id',
  'roles.name',
  'roles.description',
  'roles.level',
  'roles.scope',
  'roles.permissions',
  'roles.system',
  'roles.created_at',
  'roles.updated_at',
] as const;

/** The permission catalogue and the roles built from it. */
@Injectable()
export class RoleRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async listPermissions(tx: Executor = this.#db): Promise<PermissionRow[]> {
    return tx
      .selectFrom('permissions')
      .select(['permissions.name', 'permissions.description'])
      .orderBy('permissions.name')
      .execute();
  }

  /** The concrete permission names a role or an operator assignment may hold. */
  async catalogue(tx: Executor = this.#db): Promise<Set<string>> {
    const rows = await tx.selectFrom('permissions').select('permissions.name').execute();
    return new Set(rows.map((row) => row.name));
  }

  async insert(role: Insertable<RolesTable>, tx: Executor = this.#db): Promise<RoleRow> {
    return tx.insertInto('roles').values(role).returning(ROLE_COLUMNS).executeTakeFirstOrThrow();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<RoleRow | undefined> {
    return tx.selectFrom('roles').select(ROLE_COLUMNS).where('roles.id', '=', id).executeTakeFirst();
  }

  /** Locks the role for the rest of the transaction (read-check-write of updates and deletes). */
  async findByIdForUpdate(id: string, tx: Executor): Promise<RoleRow | undefined> {
    return tx
      .selectFrom('roles')
      .select(ROLE_COLUMNS)
      .where('roles.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  async list(options: { afterId?: string; limit: number }, tx: Executor = this.#db): Promise<RoleRow[]> {
    let query = tx.selectFrom('roles').select(ROLE_COLUMNS).orderBy('roles.id').limit(options.limit);
    if (options.afterId !== undefined) query = query.where('roles.id', '>', options.afterId);
    return query.execute();
  }

  async update(id: string, changes: Updateable<RolesTable>, tx: Executor): Promise<RoleRow | undefined> {
    return tx
      .updateTable('roles')
      .set(changes)
      .where('id', '=', id)
      .returning(ROLE_COLUMNS)
      .executeTakeFirst();
  }

  async delete(id: string, tx: Executor): Promise<RoleRow | undefined> {
    return tx.deleteFrom('roles').where('id', '=', id).returning(ROLE_COLUMNS).executeTakeFirst();
  }
}
