import { type Kysely, sql } from 'kysely';

/**
 * One account per username skeleton (validation.ts `usernameSkeleton`), so `paypa1` cannot sit
 * beside `paypal`. Existing look-alikes keep working: only the oldest of each gets the skeleton
 * (NULLs never collide); the others are left as they were rather than renamed under their owners.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('username_skeleton', 'text').execute();
  await sql`
    UPDATE accounts SET username_skeleton = ranked.skeleton
    FROM (
      SELECT id, skeleton, row_number() OVER (PARTITION BY skeleton ORDER BY created_at, id) AS rank
      FROM (
        SELECT id, created_at, replace(translate(username, '01', 'ol'), 'rn', 'm') AS skeleton
        FROM accounts WHERE status <> 'DELETED'
      ) AS skeletons
    ) AS ranked
    WHERE accounts.id = ranked.id AND ranked.rank = 1`.execute(db);
  await db.schema
    .createIndex('accounts_username_skeleton_key')
    .on('accounts')
    .column('username_skeleton')
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('username_skeleton').execute();
}
