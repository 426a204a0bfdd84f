import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { IdentityDatabase, ProfilesTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type ProfileRow = Selectable<ProfilesTable>;

const PROFILE_COLUMNS = [
  'account_id',
  'display_name',
  'avatar_url',
  'bio',
  'birth_date',
  'phone_number',
  'updated_at',
] as const;

@Injectable()
export class ProfileRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  async insert(profile: Insertable<ProfilesTable>, tx: Executor): Promise<ProfileRow> {
    return tx.insertInto('profiles').values(profile).returning(PROFILE_COLUMNS).executeTakeFirstOrThrow();
  }

  async findByAccount(accountId: string, tx: Executor = this.#db): Promise<ProfileRow | undefined> {
    return tx
      .selectFrom('profiles')
      .select(PROFILE_COLUMNS)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
  }

  async update(
    accountId: string,
    changes: Updateable<ProfilesTable>,
    tx: Executor,
  ): Promise<ProfileRow | undefined> {
    return tx
      .updateTable('profiles')
      .set(changes)
      .where('account_id', '=', accountId)
      .returning(PROFILE_COLUMNS)
      .executeTakeFirst();
  }

  async delete(accountId: string, tx: Executor): Promise<void> {
    await tx.deleteFrom('profiles').where('account_id', '=', accountId).execute();
  }
}
