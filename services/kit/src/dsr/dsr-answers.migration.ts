import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * `dsr_answers`, the participant's record of the data-subject requests it answered. Register it in
 * a service's migration provider after the outbox, e.g. `{ '0002-dsr-answers': dsrAnswersMigration }`.
 */
export const dsrAnswersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('dsr_answers')
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('answer', 'jsonb')
      .addColumn('answered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('dsr_answers_pkey', ['request_id', 'service'])
      .execute();
    // An erasure withdraws the stored exports of the same account (DsrParticipant).
    await db.schema.createIndex('dsr_answers_account_idx').on('dsr_answers').column('account_id').execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('dsr_answers').execute();
  },
};
