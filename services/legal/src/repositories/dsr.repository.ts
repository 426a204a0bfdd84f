import { Inject, Injectable } from '@nestjs/common';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type {
  DsrPartsTable,
  DsrStatusValue,
  DsrsTable,
  EscalationValue,
  LegalDatabase,
} from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type DsrRow = Selectable<DsrsTable>;
export type DsrPartRow = Selectable<DsrPartsTable>;

const DSR_COLUMNS = [
  'dsrs.id',
  'dsrs.account_id',
  'dsrs.type',
  'dsrs.status',
  'dsrs.details',
  'dsrs.country',
  'dsrs.deadline_at',
  'dsrs.deadline_days',
  'dsrs.laws',
  'dsrs.escalation',
  'dsrs.participants',
  'dsrs.resolution',
  'dsrs.filed_by',
  'dsrs.created_at',
  'dsrs.updated_at',
  'dsrs.completed_at',
] as const;

const PART_COLUMNS = [
  'dsr_parts.dsr_id',
  'dsr_parts.service',
  'dsr_parts.outcome',
  'dsr_parts.export_json',
  'dsr_parts.note',
  'dsr_parts.answered_at',
] as const;

const OPEN: DsrStatusValue[] = ['RECEIVED', 'IN_PROGRESS'];

/** A request without its (possibly large) assembled export, and whether there is one. */
export type DsrSummaryRow = Omit<DsrRow, 'export_json'> & { export_ready: boolean };

/** Data-subject requests and the participants' answers. */
@Injectable()
export class DsrRepository {
  readonly #db: Kysely<LegalDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<LegalDatabase>) {
    this.#db = db;
  }

  #select(tx: Executor) {
    return tx
      .selectFrom('dsrs')
      .select(DSR_COLUMNS)
      .select((eb) => eb('dsrs.export_json', 'is not', null).$castTo<boolean>().as('export_ready'));
  }

  async insert(dsr: Insertable<DsrsTable>, tx: Executor): Promise<DsrSummaryRow> {
    await tx.insertInto('dsrs').values(dsr).execute();
    return this.#select(tx).where('dsrs.id', '=', dsr.id).executeTakeFirstOrThrow();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<DsrSummaryRow | undefined> {
    return this.#select(tx).where('dsrs.id', '=', id).executeTakeFirst();
  }

  async findByIdForUpdate(id: string, tx: Executor): Promise<DsrSummaryRow | undefined> {
    return this.#select(tx).where('dsrs.id', '=', id).forUpdate().executeTakeFirst();
  }

  /** Newest first. */
  async list(
    filter: { accountId?: string; status?: DsrStatusValue; beforeId?: string; limit: number },
    tx: Executor = this.#db,
  ): Promise<DsrSummaryRow[]> {
    let query = this.#select(tx).orderBy('dsrs.id', 'desc').limit(filter.limit);
    if (filter.accountId !== undefined) query = query.where('dsrs.account_id', '=', filter.accountId);
    if (filter.status !== undefined) query = query.where('dsrs.status', '=', filter.status);
    if (filter.beforeId !== undefined) query = query.where('dsrs.id', '<', filter.beforeId);
    return query.execute();
  }

  async forAccount(accountId: string, tx: Executor = this.#db): Promise<DsrSummaryRow[]> {
    return this.#select(tx).where('dsrs.account_id', '=', accountId).orderBy('dsrs.id').execute();
  }

  async update(id: string, changes: Updateable<DsrsTable>, tx: Executor): Promise<DsrSummaryRow> {
    await tx.updateTable('dsrs').set(changes).where('id', '=', id).execute();
    return this.#select(tx).where('dsrs.id', '=', id).executeTakeFirstOrThrow();
  }

  async exportOf(id: string, tx: Executor = this.#db): Promise<unknown> {
    const row = await tx
      .selectFrom('dsrs')
      .select('dsrs.export_json')
      .where('dsrs.id', '=', id)
      .executeTakeFirst();
    return row?.export_json ?? null;
  }

  /** Open requests that could escalate by `horizon` (their deadline is at or before it), not yet overdue. */
  async openDueBy(horizon: Date, tx: Executor = this.#db): Promise<DsrSummaryRow[]> {
    return this.#select(tx)
      .where('dsrs.status', 'in', OPEN)
      .where('dsrs.deadline_at', '<=', horizon)
      .where('dsrs.escalation', '<>', 'OVERDUE')
      .orderBy('dsrs.deadline_at')
      .execute();
  }

  /**
   * Moves an open request from one escalation level to the next; undefined when another replica (or
   * a completion) got there first, so each level is recorded and announced once.
   */
  async escalate(
    id: string,
    from: EscalationValue,
    to: EscalationValue,
    now: Date,
    tx: Executor,
  ): Promise<DsrSummaryRow | undefined> {
    const updated = await tx
      .updateTable('dsrs')
      .set({ escalation: to, updated_at: now })
      .where('id', '=', id)
      .where('escalation', '=', from)
      .where('status', 'in', OPEN)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return undefined;
    return this.#select(tx).where('dsrs.id', '=', id).executeTakeFirstOrThrow();
  }

  async partsOf(ids: readonly string[], tx: Executor = this.#db): Promise<DsrPartRow[]> {
    if (ids.length === 0) return [];
    return tx
      .selectFrom('dsr_parts')
      .select(PART_COLUMNS)
      .where('dsr_parts.dsr_id', 'in', [...ids])
      .orderBy('dsr_parts.answered_at')
      .orderBy('dsr_parts.service')
      .execute();
  }

  /** Records an answer once per (request, service); undefined when this service had already answered. */
  async insertPart(part: Insertable<DsrPartsTable>, tx: Executor): Promise<DsrPartRow | undefined> {
    return tx
      .insertInto('dsr_parts')
      .values(part)
      .onConflict((oc) => oc.columns(['dsr_id', 'service']).doNothing())
      .returning(PART_COLUMNS)
      .executeTakeFirst();
  }
}
