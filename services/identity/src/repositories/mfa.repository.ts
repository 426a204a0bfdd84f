import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import type { IdentityDatabase, MfaTotpTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type TotpRow = Selectable<MfaTotpTable>;

/** TOTP enrolments and backup codes. */
@Injectable()
export class MfaRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  async findTotp(accountId: string, tx: Executor = this.#db): Promise<TotpRow | undefined> {
    return tx
      .selectFrom('mfa_totp')
      .select(['account_id', 'secret_encrypted', 'confirmed_at', 'last_used_step', 'created_at'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
  }

  /** Starts (or restarts) an unconfirmed enrolment. Never replaces a confirmed one. */
  async upsertPendingTotp(
    accountId: string,
    secretEncrypted: string,
    now: Date,
    tx: Executor = this.#db,
  ): Promise<boolean> {
    const row = await tx
      .insertInto('mfa_totp')
      .values({ account_id: accountId, secret_encrypted: secretEncrypted, created_at: now })
      .onConflict((oc) =>
        oc
          .column('account_id')
          .doUpdateSet({ secret_encrypted: secretEncrypted, created_at: now, last_used_step: null })
          .where('mfa_totp.confirmed_at', 'is', null),
      )
      .returning('account_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async confirmTotp(accountId: string, step: number, now: Date, tx: Executor): Promise<boolean> {
    const row = await tx
      .updateTable('mfa_totp')
      .set({ confirmed_at: now, last_used_step: step })
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is', null)
      .returning('account_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Accepts a time step only if it is later than the last accepted one: a code works once. */
  async useStep(accountId: string, step: number, tx: Executor = this.#db): Promise<boolean> {
    const row = await tx
      .updateTable('mfa_totp')
      .set({ last_used_step: step })
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is not', null)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .returning('account_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async reencrypt(accountId: string, secretEncrypted: string, tx: Executor = this.#db): Promise<void> {
    await tx
      .updateTable('mfa_totp')
      .set({ secret_encrypted: secretEncrypted })
      .where('account_id', '=', accountId)
      .execute();
  }

  async replaceBackupCodes(
    accountId: string,
    codeHashes: readonly string[],
    now: Date,
    tx: Executor,
  ): Promise<void> {
    await tx.deleteFrom('mfa_backup_codes').where('account_id', '=', accountId).execute();
    await tx
      .insertInto('mfa_backup_codes')
      .values(codeHashes.map((code_hash) => ({ account_id: accountId, code_hash, created_at: now })))
      .execute();
  }

  /** Spends a backup code atomically; false when unknown or already used. */
  async useBackupCode(
    accountId: string,
    codeHash: string,
    now: Date,
    tx: Executor = this.#db,
  ): Promise<boolean> {
    const row = await tx
      .updateTable('mfa_backup_codes')
      .set({ used_at: now })
      .where('account_id', '=', accountId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .returning('account_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async deleteAll(accountId: string, tx: Executor): Promise<void> {
    await tx.deleteFrom('mfa_backup_codes').where('account_id', '=', accountId).execute();
    await tx.deleteFrom('mfa_totp').where('account_id', '=', accountId).execute();
  }
}
