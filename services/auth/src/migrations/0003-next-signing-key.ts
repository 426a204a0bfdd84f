import { type Kysely, sql } from 'kysely';

/**
 * Signing keys gain NEXT: published ahead of use so verifiers hold it before it signs (ADR 0010).
 * At most one NEXT key, as at most one ACTIVE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_status_check`.execute(db);
  await sql`ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check
    CHECK (status IN ('NEXT', 'ACTIVE', 'PREVIOUS', 'RETIRED'))`.execute(db);
  await db.schema
    .createIndex('signing_keys_one_next')
    .unique()
    .on('signing_keys')
    .column('status')
    .where(sql.ref('status'), '=', 'NEXT')
    .execute();
  // A NEXT key is created a rotation period before it signs: its age as the signing key counts
  // from activation.
  await db.schema.alterTable('signing_keys').addColumn('activated_at', 'timestamptz').execute();
  await sql`UPDATE signing_keys SET activated_at = created_at WHERE status <> 'NEXT'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM signing_keys WHERE status = 'NEXT'`.execute(db);
  await db.schema.alterTable('signing_keys').dropColumn('activated_at').execute();
  await db.schema.dropIndex('signing_keys_one_next').execute();
  await sql`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_status_check`.execute(db);
  await sql`ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check
    CHECK (status IN ('ACTIVE', 'PREVIOUS', 'RETIRED'))`.execute(db);
}
