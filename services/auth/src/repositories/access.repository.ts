import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { AuthDatabase } from '../schema/database.ts';
import type { AccessSnapshot } from '../services/access-decision.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';
import { SANCTION_COLUMNS, type SanctionRow } from './sanction.repository.ts';

/** The snapshot, with the sanctions in force as whole rows (token notices show them). */
export interface AccountAccess extends AccessSnapshot {
  readonly sanctionRows: readonly SanctionRow[];
}

const date = (value: string | null) => (value === null ? null : new Date(value));

/**
 * What decides one account's access now — sanctions in force, live role grants with their roles,
 * live operator assignments — in a single statement: one round trip per permission check or token,
 * however many permissions are asked about.
 */
@Injectable()
export class AccessRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async snapshot(accountId: string, now: Date, tx: Executor = this.#db): Promise<AccountAccess> {
    const row = await tx
      .selectNoFrom((eb) => [
        jsonArrayFrom(
          eb
            .selectFrom('sanctions')
            .select(SANCTION_COLUMNS)
            .where('sanctions.account_id', '=', accountId)
            .where('sanctions.revoked_at', 'is', null)
            .where('sanctions.starts_at', '<=', now)
            .where((w) => w.or([w('sanctions.ends_at', 'is', null), w('sanctions.ends_at', '>', now)]))
            .orderBy('sanctions.id'),
        ).as('sanctions'),
        jsonArrayFrom(
          eb
            .selectFrom('role_assignments')
            .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
            .select([
              'roles.name',
              'roles.level',
              'roles.scope',
              'roles.permissions',
              'role_assignments.service',
            ])
            .where('role_assignments.account_id', '=', accountId)
            .where('role_assignments.revoked_at', 'is', null)
            .where((w) =>
              w.or([
                w('role_assignments.expires_at', 'is', null),
                w('role_assignments.expires_at', '>', now),
              ]),
            )
            .orderBy('role_assignments.id'),
        ).as('roles'),
        jsonArrayFrom(
          eb
            .selectFrom('operator_assignments')
            .select([
              'operator_assignments.id',
              'operator_assignments.service',
              'operator_assignments.country',
              'operator_assignments.permissions',
            ])
            .where('operator_assignments.account_id', '=', accountId)
            .where('operator_assignments.revoked_at', 'is', null)
            .orderBy('operator_assignments.id'),
        ).as('operators'),
      ])
      .executeTakeFirstOrThrow();
    // JSON carries timestamps as text: back to Dates.
    const sanctionRows: SanctionRow[] = row.sanctions.map((s) => ({
      ...s,
      starts_at: new Date(s.starts_at),
      ends_at: date(s.ends_at),
      created_at: new Date(s.created_at),
      revoked_at: date(s.revoked_at),
    }));
    return {
      sanctionRows,
      sanctions: sanctionRows.map((s) => ({
        id: s.id,
        type: s.type,
        features: s.features,
        endsAt: s.ends_at,
      })),
      roles: row.roles.map((r) => ({
        roleName: r.name,
        level: r.level,
        scope: r.scope,
        service: r.service,
        permissions: r.permissions,
      })),
      operators: row.operators,
    };
  }
}
