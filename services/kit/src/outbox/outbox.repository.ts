import { type Compilable, type Kysely, sql } from 'kysely';
import type { PendingEvent } from './cloud-event.ts';
import type { OutboxDatabase } from './outbox.table.ts';

/** Executes a kysely-built query somewhere: on the relay's session, or through the pool. */
export type RunQuery = <R>(query: Compilable<R>) => Promise<R[]>;

export interface PendingTopic {
  readonly topic: string;
  /** created_at of the oldest pending row of the topic. */
  readonly oldest: Date;
}

/**
 * The relay's reads and deletes on outbox_events. Queries are built with the service's kysely
 * instance and executed by `run`, so the relay can send them down its own leader session.
 */
export class OutboxRepository {
  readonly #db: Kysely<OutboxDatabase>;
  readonly #run: RunQuery;

  constructor(db: Kysely<OutboxDatabase>, run: RunQuery) {
    this.#db = db;
    this.#run = run;
  }

  /** The head of the backlog in relay order. */
  async nextBatch(limit: number): Promise<PendingEvent[]> {
    const rows = await this.#run(
      this.#db
        .selectFrom('outbox_events')
        .select([
          'seq',
          'id',
          'topic',
          'key',
          'type',
          'source',
          'subject',
          // As text: no parse and re-stringify, and large numbers survive untouched.
          sql<string>`data::text`.as('data'),
          'created_at',
        ])
        .orderBy('seq')
        .limit(limit),
    );
    return rows.map((row) => ({
      seq: String(row.seq),
      id: row.id,
      topic: row.topic,
      key: row.key,
      type: row.type,
      source: row.source,
      subject: row.subject,
      data: row.data,
      createdAt: row.created_at,
    }));
  }

  /** Records rows as published by deleting them. Returns how many were still there. */
  async deleteBySeq(seqs: readonly string[]): Promise<number> {
    if (seqs.length === 0) return 0;
    const rows = await this.#run(
      this.#db.deleteFrom('outbox_events').where('seq', 'in', seqs).returning('seq'),
    );
    return rows.length;
  }

  /** Records rows as published by their event ids (recovery). Returns how many were pending. */
  async deleteByIds(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.#run(this.#db.deleteFrom('outbox_events').where('id', 'in', ids).returning('id'));
    return rows.length;
  }

  /** Topics with pending rows, each with the creation time of its oldest one. */
  async pendingTopics(): Promise<PendingTopic[]> {
    const rows = await this.#run(
      this.#db
        .selectFrom('outbox_events')
        .select(['topic', (eb) => eb.fn.min('created_at').as('oldest')])
        .groupBy('topic'),
    );
    return rows.map((row) => ({ topic: row.topic, oldest: new Date(row.oldest) }));
  }

  async countPending(): Promise<number> {
    const rows = await this.#run(
      this.#db.selectFrom('outbox_events').select((eb) => eb.fn.countAll<string>().as('pending')),
    );
    return Number(rows[0]?.pending ?? 0);
  }
}
