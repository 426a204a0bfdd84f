import { type Kysely, sql } from 'kysely';

/**
 * The local store's table. `id` sorts bytewise (`COLLATE "C"`, whatever the database's default
 * collation) as ClickHouse compares strings, so the page order (time, then id descending) and the
 * keyset cursor mean the same in both stores.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', sql`text COLLATE "C"`, (col) => col.primaryKey())
    .addColumn('event_id', 'text', (col) => col.notNull())
    .addColumn('occurred_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('month', 'integer', (col) => col.notNull())
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('service', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text', (col) => col.notNull())
    .addColumn('target_id', 'text', (col) => col.notNull())
    .addColumn('result', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('ip_address', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text', (col) => col.notNull())
    .addColumn('trace_id', 'text', (col) => col.notNull())
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('ingested_at', 'timestamptz', (col) => col.notNull())
    .execute();
  // A login history and the trail by the account that acted; the trail by the account acted on.
  await db.schema
    .createIndex('audit_events_account_time')
    .on('audit_events')
    .expression(sql`account_id, occurred_at_ms DESC, id DESC`)
    .execute();
  await db.schema
    .createIndex('audit_events_target_account_time')
    .on('audit_events')
    .expression(sql`target_id, occurred_at_ms DESC, id DESC`)
    .where(sql.ref('target_type'), '=', 'account')
    .execute();
  // Admin actions (the whole category, or one actor's).
  await db.schema
    .createIndex('audit_events_category_time')
    .on('audit_events')
    .expression(sql`category, occurred_at_ms DESC, id DESC`)
    .execute();
  await db.schema
    .createIndex('audit_events_actor_time')
    .on('audit_events')
    .expression(sql`actor_id, occurred_at_ms DESC, id DESC`)
    .execute();
  // Retention: the partitions and what one holds.
  await db.schema
    .createIndex('audit_events_category_month')
    .on('audit_events')
    .columns(['category', 'month'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
