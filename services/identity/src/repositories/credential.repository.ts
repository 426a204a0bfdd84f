import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { IdentityDatabase } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

/** Password hashes: the current one and the history that new passwords must not repeat. */
@Injectable()
export class CredentialRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  async insert(accountId: string, passwordHash: string, now: Date, tx: Executor): Promise<void> {
    await tx
      .insertInto('credentials')
      .values({ account_id: accountId, password_hash: passwordHash, password_changed_at: now })
      .execute();
  }

  async findHash(accountId: string, tx: Executor = this.#db): Promise<string | undefined> {
    const row = await tx
      .selectFrom('credentials')
      .select('password_hash')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row?.password_hash;
  }

  /** The current hash and the most recent earlier ones, newest first. */
  async recentHashes(accountId: string, count: number, tx: Executor = this.#db): Promise<string[]> {
    const current = await this.findHash(accountId, tx);
    const history = await tx
      .selectFrom('password_history')
      .select('password_hash')
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(count - 1)
      .execute();
    return [...(current === undefined ? [] : [current]), ...history.map((row) => row.password_hash)];
  }

  /** Sets the new hash, moves the old one into the history and keeps only `keep - 1` of those. */
  async replace(
    accountId: string,
    passwordHash: string,
    keep: number,
    now: Date,
    tx: Executor,
  ): Promise<void> {
    const old = await tx
      .selectFrom('credentials')
      .select('password_hash')
      .where('account_id', '=', accountId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('password_history')
      .values({ account_id: accountId, password_hash: old.password_hash, created_at: now })
      .execute();
    await tx
      .updateTable('credentials')
      .set({ password_hash: passwordHash, password_changed_at: now })
      .where('account_id', '=', accountId)
      .execute();
    const stale = tx
      .selectFrom('password_history')
      .select('id')
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .offset(keep - 1);
    await tx.deleteFrom('password_history').where('id', 'in', stale).execute();
  }

  /** Parameter upgrade on login: same password, new hash; no history entry. */
  async rehash(accountId: string, passwordHash: string, tx: Executor = this.#db): Promise<void> {
    await tx
      .updateTable('credentials')
      .set({ password_hash: passwordHash })
      .where('account_id', '=', accountId)
      .execute();
  }

  async deleteAll(accountId: string, tx: Executor): Promise<void> {
    await tx.deleteFrom('password_history').where('account_id', '=', accountId).execute();
    await tx.deleteFrom('credentials').where('account_id', '=', accountId).execute();
  }
}
