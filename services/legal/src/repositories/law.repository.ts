import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { LawsTable, LegalDatabase } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type LawRow = Selectable<LawsTable>;

const LAW_COLUMNS = [
  'laws.code',
  'laws.name',
  'laws.countries',
  'laws.minimum_age',
  'laws.parental_consent_age',
  'laws.required_consents',
  'laws.dsr_deadline_days',
  'laws.explicit_consent',
  'laws.cross_border_rule',
  'laws.notes',
  'laws.updated_at',
  'laws.updated_by',
] as const;

/** The law registry. */
@Injectable()
export class LawRepository {
  readonly #db: Kysely<LegalDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<LegalDatabase>) {
    this.#db = db;
  }

  /** Every law, or those that apply in `country`, by code. */
  async list(country?: string, tx: Executor = this.#db): Promise<LawRow[]> {
    let query = tx.selectFrom('laws').select(LAW_COLUMNS).orderBy('laws.code');
    if (country !== undefined)
      query = query.where((eb) => eb(eb.val(country), '=', eb.fn.any('laws.countries')));
    return query.execute();
  }

  async findByCode(code: string, tx: Executor = this.#db): Promise<LawRow | undefined> {
    return tx.selectFrom('laws').select(LAW_COLUMNS).where('laws.code', '=', code).executeTakeFirst();
  }

  async findByCodeForUpdate(code: string, tx: Executor): Promise<LawRow | undefined> {
    return tx
      .selectFrom('laws')
      .select(LAW_COLUMNS)
      .where('laws.code', '=', code)
      .forUpdate()
      .executeTakeFirst();
  }

  async update(code: string, changes: Updateable<LawsTable>, tx: Executor): Promise<LawRow> {
    return tx
      .updateTable('laws')
      .set(changes)
      .where('code', '=', code)
      .returning(LAW_COLUMNS)
      .executeTakeFirstOrThrow();
  }
}
