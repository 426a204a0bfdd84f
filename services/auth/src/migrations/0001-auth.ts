import { type Kysely, sql } from 'kysely';

/** The permission catalogue: every concrete permission a role or an operator assignment may name. */
export const SEEDED_PERMISSIONS: readonly { name: string; description: string }[] = [
  { name: 'session:read_all', description: 'See every live session on the platform' },
  { name: 'session:revoke_any', description: "Revoke any account's sessions" },
  { name: 'account:read', description: 'Read any account' },
  { name: 'account:manage', description: 'Change, lock and delete accounts' },
  { name: 'role:manage', description: 'Create, change, delete, assign and revoke roles' },
  { name: 'sanction:manage', description: 'Issue and revoke warnings, bans and feature restrictions' },
  { name: 'operator:manage', description: 'Grant and revoke operator assignments' },
  { name: 'signing_key:manage', description: 'Rotate and retire token signing keys' },
  { name: 'legal_document:manage', description: 'Draft, publish and archive legal documents' },
  { name: 'law:manage', description: 'Maintain the law registry' },
  { name: 'dsr:manage', description: 'Process data subject requests' },
  { name: 'audit:read', description: 'Query the audit trail' },
];

/** Platform roles every installation starts with; ids are fixed so documentation can name them. */
export const SEEDED_ROLES = [
  {
    id: '00000000-0000-7000-8000-000000000001',
    name: 'super_admin',
    description: 'Everything, everywhere',
    level: 100,
    permissions: ['*'],
  },
  {
    id: '00000000-0000-7000-8000-000000000002',
    name: 'security_admin',
    description: 'Live sessions, sanctions and the audit trail',
    level: 50,
    permissions: ['session:read_all', 'session:revoke_any', 'sanction:manage', 'audit:read'],
  },
  {
    id: '00000000-0000-7000-8000-000000000003',
    name: 'support',
    description: 'Read accounts and their live sessions',
    level: 10,
    permissions: ['account:read', 'session:read_all'],
  },
] as const;

/**
 * The auth schema: signing keys, the RBAC tables, operator assignments and sanctions. Account ids
 * belong to identity-service's database, so they carry no foreign key here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('private_key_encrypted', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('ACTIVE', 'PREVIOUS', 'RETIRED')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('rotated_out_at', 'timestamptz')
    .addColumn('retired_at', 'timestamptz')
    .execute();
  // Exactly one key signs: two replicas bootstrapping or rotating at once cannot both win.
  await db.schema
    .createIndex('signing_keys_one_active')
    .unique()
    .on('signing_keys')
    .column('status')
    .where(sql.ref('status'), '=', 'ACTIVE')
    .execute();

  await db.schema
    .createTable('permissions')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull().check(sql`level BETWEEN 1 AND 100`))
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope IN ('PLATFORM', 'SERVICE')`))
    .addColumn('permissions', sql`text[]`, (c) => c.notNull())
    .addColumn('system', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('roles_name_key', ['name'])
    .execute();

  await db.schema
    .createTable('role_assignments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    // Cascade only ever removes revoked history: a role with live assignments is not deleted.
    .addColumn('role_id', 'uuid', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('granted_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'uuid')
    .execute();
  await db.schema
    .createIndex('role_assignments_live_key')
    .unique()
    .on('role_assignments')
    .columns(['account_id', 'role_id', 'service'])
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('role_assignments_role_idx')
    .on('role_assignments')
    .column('role_id')
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('operator_assignments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(sql`country ~ '^[A-Z]{2}$'`))
    .addColumn('permissions', sql`text[]`, (c) => c.notNull())
    .addColumn('granted_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'uuid')
    .execute();
  await db.schema
    .createIndex('operator_assignments_account_idx')
    .on('operator_assignments')
    .columns(['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('sanctions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type IN ('WARNING', 'TEMPORARY_BAN', 'PERMANENT_BAN', 'FEATURE_RESTRICTION')`),
    )
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('features', sql`text[]`, (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz')
    .addColumn('issued_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'uuid')
    .addColumn('revoke_reason', 'text')
    // The rules the service checks field by field, kept true whoever writes the row.
    .addCheckConstraint(
      'sanctions_shape',
      sql`(type <> 'TEMPORARY_BAN' OR ends_at IS NOT NULL)
        AND (type <> 'PERMANENT_BAN' OR ends_at IS NULL)
        AND (type <> 'FEATURE_RESTRICTION' OR cardinality(features) > 0)
        AND (ends_at IS NULL OR ends_at > starts_at)`,
    )
    .execute();
  await db.schema
    .createIndex('sanctions_account_idx')
    .on('sanctions')
    .columns(['account_id', 'id'])
    .execute();

  // Typed by what this migration created, not by today's schema (which later migrations may change).
  const seed = db as Kysely<SeedTables>;
  await seed
    .insertInto('permissions')
    .values(SEEDED_PERMISSIONS.map((p) => ({ ...p })))
    .execute();
  const now = new Date();
  await seed
    .insertInto('roles')
    .values(
      SEEDED_ROLES.map((role) => ({
        ...role,
        permissions: [...role.permissions].sort(),
        scope: 'PLATFORM',
        system: true,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
}

interface SeedTables {
  permissions: { name: string; description: string };
  roles: {
    id: string;
    name: string;
    description: string;
    level: number;
    scope: string;
    permissions: string[];
    system: boolean;
    created_at: Date;
    updated_at: Date;
  };
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'sanctions',
    'operator_assignments',
    'role_assignments',
    'roles',
    'permissions',
    'signing_keys',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
