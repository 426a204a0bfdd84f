import { type Kysely, sql } from 'kysely';

/** audit-service drops retention partitions by hand only for holders of audit:manage (ADR 0013). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`INSERT INTO permissions (name, description)
    VALUES ('audit:manage', 'Apply the audit retention policy by hand (drops partitions)')
    ON CONFLICT (name) DO NOTHING`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM permissions WHERE name = 'audit:manage'`.execute(db);
}
