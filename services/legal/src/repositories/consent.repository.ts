import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ConsentHistoryTable, ConsentsTable, LegalDatabase } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type ConsentRow = Selectable<ConsentsTable>;
export type ConsentHistoryRow = Selectable<ConsentHistoryTable>;

const CONSENT_COLUMNS = [
  'consents.account_id',
  'consents.document_type',
  'consents.document_id',
  'consents.document_version',
  'consents.document_country',
  'consents.document_locale',
  'consents.status',
  'consents.granted_at',
  'consents.withdrawn_at',
  'consents.updated_at',
] as const;

const HISTORY_COLUMNS = [
  'consent_history.id',
  'consent_history.account_id',
  'consent_history.erased_account_hash',
  'consent_history.action',
  'consent_history.document_type',
  'consent_history.document_id',
  'consent_history.document_version',
  'consent_history.document_country',
  'consent_history.document_locale',
  'consent_history.content_hash',
  'consent_history.ip_address',
  'consent_history.user_agent',
  'consent_history.occurred_at',
] as const;

/** Current consents and their append-only history. */
@Injectable()
export class ConsentRepository {
  readonly #db: Kysely<LegalDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<LegalDatabase>) {
    this.#db = db;
  }

  async findForUpdate(
    accountId: string,
    documentType: string,
    tx: Executor,
  ): Promise<ConsentRow | undefined> {
    return tx
      .selectFrom('consents')
      .select(CONSENT_COLUMNS)
      .where('consents.account_id', '=', accountId)
      .where('consents.document_type', '=', documentType)
      .forUpdate()
      .executeTakeFirst();
  }

  async listForAccount(accountId: string, tx: Executor = this.#db): Promise<ConsentRow[]> {
    return tx
      .selectFrom('consents')
      .select(CONSENT_COLUMNS)
      .where('consents.account_id', '=', accountId)
      .orderBy('consents.document_type')
      .execute();
  }

  /** The account's consent for the document's type becomes this grant (insert or replace). */
  async upsert(consent: Insertable<ConsentsTable>, tx: Executor): Promise<ConsentRow> {
    return tx
      .insertInto('consents')
      .values(consent)
      .onConflict((oc) =>
        oc.columns(['account_id', 'document_type']).doUpdateSet({
          document_id: consent.document_id,
          document_version: consent.document_version,
          document_country: consent.document_country,
          document_locale: consent.document_locale,
          status: consent.status,
          granted_at: consent.granted_at,
          withdrawn_at: consent.withdrawn_at ?? null,
          updated_at: consent.updated_at,
        }),
      )
      .returning(CONSENT_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  async withdraw(accountId: string, documentType: string, now: Date, tx: Executor): Promise<ConsentRow> {
    return tx
      .updateTable('consents')
      .set({ status: 'WITHDRAWN', withdrawn_at: now, updated_at: now })
      .where('account_id', '=', accountId)
      .where('document_type', '=', documentType)
      .returning(CONSENT_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  async appendHistory(entry: Insertable<ConsentHistoryTable>, tx: Executor): Promise<ConsentHistoryRow> {
    return tx
      .insertInto('consent_history')
      .values(entry)
      .returning(HISTORY_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** The account's history, oldest first (ids are UUIDv7, so id order is time order). */
  async history(
    accountId: string,
    options: { afterId?: string; limit?: number } = {},
    tx: Executor = this.#db,
  ): Promise<ConsentHistoryRow[]> {
    let query = tx
      .selectFrom('consent_history')
      .select(HISTORY_COLUMNS)
      .where('consent_history.account_id', '=', accountId)
      .orderBy('consent_history.id');
    if (options.afterId !== undefined) query = query.where('consent_history.id', '>', options.afterId);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return query.execute();
  }

  /** How many history entries are kept under an erased account's hash. */
  async countErased(hash: string, tx: Executor = this.#db): Promise<number> {
    const row = await tx
      .selectFrom('consent_history')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('consent_history.erased_account_hash', '=', hash)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Erasure: the current consents go; the history stays as proof of lawful processing, with the
   * account id replaced by `hash` and the client details (IP address, user agent) dropped.
   */
  async eraseAccount(
    accountId: string,
    hash: string,
    tx: Executor,
  ): Promise<{ consentsDeleted: number; historyAnonymised: number }> {
    const deleted = await tx.deleteFrom('consents').where('account_id', '=', accountId).executeTakeFirst();
    const anonymised = await tx
      .updateTable('consent_history')
      .set({ account_id: null, erased_account_hash: hash, ip_address: null, user_agent: null })
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return {
      consentsDeleted: Number(deleted.numDeletedRows),
      historyAnonymised: Number(anonymised.numUpdatedRows),
    };
  }
}
