import { Inject, Injectable } from '@nestjs/common';
import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { DocumentStatusValue, DocumentsTable, LegalDatabase } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type DocumentRow = Selectable<DocumentsTable>;

const DOCUMENT_COLUMNS = [
  'documents.id',
  'documents.type',
  'documents.version',
  'documents.locale',
  'documents.country',
  'documents.title',
  'documents.content',
  'documents.content_hash',
  'documents.required',
  'documents.status',
  'documents.created_by',
  'documents.created_at',
  'documents.published_at',
  'documents.archived_at',
] as const;

export interface DocumentFilter {
  readonly type?: string;
  readonly country?: string;
  readonly locale?: string;
  readonly statuses: readonly DocumentStatusValue[];
  readonly afterId?: string;
  readonly limit: number;
}

/** Legal documents and their lifecycle. */
@Injectable()
export class DocumentRepository {
  readonly #db: Kysely<LegalDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<LegalDatabase>) {
    this.#db = db;
  }

  async insert(document: Insertable<DocumentsTable>, tx: Executor = this.#db): Promise<DocumentRow> {
    return tx.insertInto('documents').values(document).returning(DOCUMENT_COLUMNS).executeTakeFirstOrThrow();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<DocumentRow | undefined> {
    return tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.id', '=', id)
      .executeTakeFirst();
  }

  /** Locks the document for the rest of the transaction (lifecycle changes). */
  async findByIdForUpdate(id: string, tx: Executor): Promise<DocumentRow | undefined> {
    return tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Reads the document and keeps it from changing (being archived) until the transaction ends. */
  async findByIdForShare(id: string, tx: Executor): Promise<DocumentRow | undefined> {
    return tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.id', '=', id)
      .forShare()
      .executeTakeFirst();
  }

  /**
   * Serialises publications of one (type, country, locale) for the rest of the transaction, so two
   * drafts published at once are compared with each other, one after the other.
   */
  async lockKey(key: { type: string; country: string; locale: string }, tx: Executor): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`documents:${key.type}:${key.country}:${key.locale}`}, 0))`.execute(
      tx,
    );
  }

  async findActiveForUpdate(
    key: { type: string; country: string; locale: string },
    tx: Executor,
  ): Promise<DocumentRow | undefined> {
    return tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.type', '=', key.type)
      .where('documents.country', '=', key.country)
      .where('documents.locale', '=', key.locale)
      .where('documents.status', '=', 'ACTIVE')
      .forUpdate()
      .executeTakeFirst();
  }

  /** Every document in force for `country` or for every country (`*`). */
  async activeFor(country: string, tx: Executor = this.#db): Promise<DocumentRow[]> {
    return tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.status', '=', 'ACTIVE')
      .where('documents.country', 'in', [country, '*'])
      .orderBy('documents.id')
      .execute();
  }

  async list(filter: DocumentFilter, tx: Executor = this.#db): Promise<DocumentRow[]> {
    let query = tx
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('documents.status', 'in', [...filter.statuses])
      .orderBy('documents.id')
      .limit(filter.limit);
    if (filter.type !== undefined) query = query.where('documents.type', '=', filter.type);
    if (filter.country !== undefined) query = query.where('documents.country', '=', filter.country);
    if (filter.locale !== undefined) query = query.where('documents.locale', '=', filter.locale);
    if (filter.afterId !== undefined) query = query.where('documents.id', '>', filter.afterId);
    return query.execute();
  }

  async update(id: string, changes: Updateable<DocumentsTable>, tx: Executor): Promise<DocumentRow> {
    return tx
      .updateTable('documents')
      .set(changes)
      .where('id', '=', id)
      .returning(DOCUMENT_COLUMNS)
      .executeTakeFirstOrThrow();
  }
}
