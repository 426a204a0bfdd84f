import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The channel the insert trigger notifies on; the relay LISTENs on it while it leads. */
export const OUTBOX_NOTIFY_CHANNEL = 'girok_outbox_events';

/**
 * `outbox_events`, its notify trigger, and autovacuum settings fit for a queue table.
 * Register it in a service's migration provider, e.g. `{ '0001_outbox': outboxMigration }`.
 */
export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // The primary key on seq is the "pending rows in seq order" index: published rows are deleted,
    // so every entry in it is pending and `ORDER BY seq LIMIT n` reads just the head of the backlog.
    await db.schema
      .createTable('outbox_events')
      .addColumn('seq', 'bigserial', (c) => c.primaryKey())
      .addColumn('id', 'uuid', (c) => c.notNull().unique())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    // Every row is inserted once and deleted soon after, so dead tuples pile up at the head of the
    // seq index that the relay scans on every batch. Vacuum after a fixed number of deletes rather
    // than after 20% of a table that is usually near empty.
    await sql`ALTER TABLE outbox_events SET (
      autovacuum_vacuum_scale_factor = 0,
      autovacuum_vacuum_threshold = 5000
    )`.execute(db);

    // A trigger rather than a NOTIFY in appendEvents: any insert (backfill scripts, SQL run by hand)
    // wakes the relay too. Per statement, and PostgreSQL folds identical notifications of one
    // transaction into one, delivered only on commit, so a rolled-back insert wakes nobody.
    await sql`CREATE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(${sql.lit(OUTBOX_NOTIFY_CHANNEL)}, '');
        RETURN NULL;
      END
    $$`.execute(db);
    await sql`CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('outbox_events').execute();
    await sql`DROP FUNCTION outbox_events_notify()`.execute(db);
  },
};
