import { Inject, Injectable } from '@nestjs/common';
import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type {
  AccountModeValue,
  AccountStatusValue,
  AccountsTable,
  IdentityDatabase,
} from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

/** The skeleton is written with the username and only ever read by the unique index. */
export type AccountRow = Omit<Selectable<AccountsTable>, 'username_skeleton'>;

export interface AccountWithMfa extends AccountRow {
  mfa_enabled: boolean;
}

/** An account with what login needs: its password hash, MFA state and the device it comes from. */
export interface AccountForLogin extends AccountWithMfa {
  password_hash: string | null;
  /** The account's active device with this fingerprint, if it has logged in from it before. */
  device_id: string | null;
  device_trusted: boolean | null;
  /**
   * This attempt's place among the consecutive failures (1 = the first since the last success or
   * lock), reserved before the password is checked; null when the account is locked.
   */
  attempt: number | null;
}

/** The lockout rule a login attempt is reserved under. */
export interface LockoutRule {
  readonly maxFailures: number;
  readonly durationMs: number;
}

const ACCOUNT_COLUMNS = [
  'accounts.id',
  'accounts.email',
  'accounts.username',
  'accounts.status',
  'accounts.mode',
  'accounts.locale',
  'accounts.country',
  'accounts.failed_login_count',
  'accounts.locked_until',
  'accounts.created_at',
  'accounts.updated_at',
  'accounts.deletion_scheduled_at',
  'accounts.deleted_at',
] as const;

export interface AccountFilter {
  readonly mode?: AccountModeValue;
  readonly status?: AccountStatusValue;
  readonly query?: string;
  readonly afterId?: string;
  readonly limit: number;
}

@Injectable()
export class AccountRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  async insert(account: Insertable<AccountsTable>, tx: Executor = this.#db): Promise<AccountRow> {
    return tx.insertInto('accounts').values(account).returning(ACCOUNT_COLUMNS).executeTakeFirstOrThrow();
  }

  /** Inserts unless the email is taken (then undefined); a taken username still fails the insert. */
  async insertIfEmailFree(account: Insertable<AccountsTable>, tx: Executor): Promise<AccountRow | undefined> {
    return tx
      .insertInto('accounts')
      .values(account)
      .onConflict((oc) => oc.constraint('accounts_email_key').doNothing())
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirst();
  }

  async findByEmailWithMfa(email: string, tx: Executor = this.#db): Promise<AccountWithMfa | undefined> {
    return tx
      .selectFrom('accounts')
      .leftJoin('mfa_totp', 'mfa_totp.account_id', 'accounts.id')
      .select(ACCOUNT_COLUMNS)
      .select((eb) => eb('mfa_totp.confirmed_at', 'is not', null).as('mfa_enabled'))
      .where('accounts.email', '=', email)
      .executeTakeFirst() as Promise<AccountWithMfa | undefined>;
  }

  /** Whether an account holds this username or one that looks like it (same skeleton). */
  async isUsernameTaken(username: string, skeleton: string, tx: Executor = this.#db): Promise<boolean> {
    const row = await tx
      .selectFrom('accounts')
      .select('accounts.id')
      .where((eb) =>
        eb.or([eb('accounts.username', '=', username), eb('accounts.username_skeleton', '=', skeleton)]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  async findById(id: string, tx: Executor = this.#db): Promise<AccountRow | undefined> {
    return tx.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('accounts.id', '=', id).executeTakeFirst();
  }

  /** Locks the row for the rest of the transaction (read-modify-write of counters and status). */
  async findByIdForUpdate(id: string, tx: Executor): Promise<AccountRow | undefined> {
    return tx
      .selectFrom('accounts')
      .select(ACCOUNT_COLUMNS)
      .where('accounts.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  async findWithMfa(id: string, tx: Executor = this.#db): Promise<AccountWithMfa | undefined> {
    return tx
      .selectFrom('accounts')
      .leftJoin('mfa_totp', 'mfa_totp.account_id', 'accounts.id')
      .select(ACCOUNT_COLUMNS)
      .select((eb) => eb('mfa_totp.confirmed_at', 'is not', null).as('mfa_enabled'))
      .where('accounts.id', '=', id)
      .executeTakeFirst() as Promise<AccountWithMfa | undefined>;
  }

  /**
   * By normalised email or username, with the password hash and MFA state, reserving this attempt
   * in the same statement: the failure counter goes up before the password is checked, so
   * concurrent attempts can never evaluate more than `maxFailures` passwords. The attempt that
   * takes the last place also sets the lock (it expires by itself should the process die before
   * the verdict); a success releases everything with `releaseLoginAttempts`.
   */
  async reserveLoginAttempt(
    identifier: string,
    fingerprint: string,
    rule: LockoutRule,
    now: Date,
    tx: Executor = this.#db,
  ): Promise<AccountForLogin | undefined> {
    const lockEnds = new Date(now.getTime() + rule.durationMs);
    const expired = sql<boolean>`accounts.locked_until IS NOT NULL AND accounts.locked_until <= ${now}`;
    const attempt = sql<number>`CASE WHEN ${expired} THEN 1 ELSE accounts.failed_login_count + 1 END`;
    return tx
      .with('reserved', (db) =>
        db
          .updateTable('accounts')
          .set({
            failed_login_count: attempt,
            locked_until: sql<Date | null>`CASE WHEN ${attempt} >= ${rule.maxFailures} THEN ${lockEnds}::timestamptz END`,
          })
          .where((eb) =>
            eb.or([eb('accounts.email', '=', identifier), eb('accounts.username', '=', identifier)]),
          )
          .where((eb) =>
            eb.or([eb('accounts.locked_until', 'is', null), eb('accounts.locked_until', '<=', now)]),
          )
          .returning(['accounts.id', 'accounts.failed_login_count as attempt']),
      )
      .selectFrom('accounts')
      .leftJoin('reserved', 'reserved.id', 'accounts.id')
      .leftJoin('credentials', 'credentials.account_id', 'accounts.id')
      .leftJoin('mfa_totp', 'mfa_totp.account_id', 'accounts.id')
      .leftJoin('devices', (join) =>
        join
          .onRef('devices.account_id', '=', 'accounts.id')
          .on('devices.fingerprint', '=', fingerprint)
          .on('devices.revoked_at', 'is', null),
      )
      .select(ACCOUNT_COLUMNS)
      .select([
        'credentials.password_hash',
        'devices.id as device_id',
        'devices.trusted as device_trusted',
        'reserved.attempt',
      ])
      .select((eb) => eb('mfa_totp.confirmed_at', 'is not', null).as('mfa_enabled'))
      .where((eb) => eb.or([eb('accounts.email', '=', identifier), eb('accounts.username', '=', identifier)]))
      .executeTakeFirst() as Promise<AccountForLogin | undefined>;
  }

  /** A password was right: the consecutive failures and any lock are over. */
  async releaseLoginAttempts(id: string, tx: Executor = this.#db): Promise<void> {
    await tx
      .updateTable('accounts')
      .set({ failed_login_count: 0, locked_until: null })
      .where('id', '=', id)
      .execute();
  }

  async list(filter: AccountFilter, tx: Executor = this.#db): Promise<AccountRow[]> {
    let query = tx.selectFrom('accounts').select(ACCOUNT_COLUMNS).orderBy('accounts.id').limit(filter.limit);
    if (filter.mode !== undefined) query = query.where('accounts.mode', '=', filter.mode);
    if (filter.status !== undefined) query = query.where('accounts.status', '=', filter.status);
    if (filter.afterId !== undefined) query = query.where('accounts.id', '>', filter.afterId);
    if (filter.query !== undefined && filter.query !== '') {
      const prefix = `${filter.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([eb('accounts.email', 'like', prefix), eb('accounts.username', 'like', prefix)]),
      );
    }
    return query.execute();
  }

  async update(
    id: string,
    changes: Updateable<AccountsTable>,
    tx: Executor = this.#db,
  ): Promise<AccountRow | undefined> {
    return tx
      .updateTable('accounts')
      .set(changes)
      .where('id', '=', id)
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirst();
  }

  /** Accounts whose deletion grace period has ended, locked and skipped by concurrent sweepers. */
  async lockDueForDeletion(now: Date, limit: number, tx: Executor): Promise<AccountRow[]> {
    return tx
      .selectFrom('accounts')
      .select(ACCOUNT_COLUMNS)
      .where('accounts.status', '=', 'PENDING_DELETION')
      .where('accounts.deletion_scheduled_at', '<=', now)
      .orderBy('accounts.deletion_scheduled_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }
}
