import { createDatabase, migrateToLatest } from '@girok/kit/db';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AuthDatabase } from '../schema/database.ts';
import { SEEDED_PERMISSIONS } from './0001-auth.ts';
import { migrations } from './index.ts';

// PGlite boots a whole PostgreSQL in WebAssembly: seconds on a busy two-core machine.
const PGLITE_BOOT_MS = 20_000;

describe('auth migrations on PGlite (local mode)', () => {
  it('apply in order, create every table, and seed the catalogue and the system roles', {
    timeout: PGLITE_BOOT_MS,
  }, async () => {
    const db = createDatabase<AuthDatabase>({ url: 'pglite://memory' });
    try {
      expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations).sort());
      const { rows } = await sql<{ table_name: string }>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely%'
        ORDER BY table_name`.execute(db);
      expect(rows.map((row) => row.table_name)).toEqual([
        'dsr_answers',
        'operator_assignments',
        'outbox_events',
        'permissions',
        'role_assignments',
        'roles',
        'sanctions',
        'signing_keys',
      ]);
      const permissions = await db.selectFrom('permissions').select('name').orderBy('name').execute();
      expect(permissions.map((p) => p.name)).toEqual(
        [...SEEDED_PERMISSIONS.map((p) => p.name), 'audit:manage'].sort(),
      );
      expect(permissions.map((p) => p.name)).toEqual(
        expect.arrayContaining(['session:read_all', 'signing_key:manage', 'audit:read', 'dsr:manage']),
      );
      const roles = await db
        .selectFrom('roles')
        .select(['name', 'level', 'scope', 'permissions', 'system'])
        .orderBy('level', 'desc')
        .execute();
      expect(roles).toEqual([
        { name: 'super_admin', level: 100, scope: 'PLATFORM', permissions: ['*'], system: true },
        {
          name: 'security_admin',
          level: 50,
          scope: 'PLATFORM',
          permissions: ['audit:read', 'sanction:manage', 'session:read_all', 'session:revoke_any'],
          system: true,
        },
        {
          name: 'support',
          level: 10,
          scope: 'PLATFORM',
          permissions: ['account:read', 'session:read_all'],
          system: true,
        },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('the database itself keeps one active signing key and the sanction shapes', {
    timeout: PGLITE_BOOT_MS,
  }, async () => {
    const db = createDatabase<AuthDatabase>({ url: 'pglite://memory' });
    try {
      await migrateToLatest(db, migrations);
      const key = (kid: string) => ({
        kid,
        algorithm: 'ES256',
        public_jwk: '{}',
        private_key_encrypted: 'x',
        status: 'ACTIVE' as const,
        created_at: new Date(),
      });
      await db.insertInto('signing_keys').values(key('a')).execute();
      await expect(db.insertInto('signing_keys').values(key('b')).execute()).rejects.toThrow(
        /signing_keys_one_active/,
      );
      const sanction = {
        id: '0190a8d2-1c6e-7000-8000-000000000001',
        account_id: '0190a8d2-1c6e-7000-8000-000000000002',
        reason: 'r',
        features: [],
        starts_at: new Date(),
        created_at: new Date(),
      };
      await expect(
        db
          .insertInto('sanctions')
          .values({ ...sanction, type: 'TEMPORARY_BAN' })
          .execute(),
      ).rejects.toThrow(/sanctions_shape/);
      await expect(
        db
          .insertInto('sanctions')
          .values({ ...sanction, type: 'FEATURE_RESTRICTION' })
          .execute(),
      ).rejects.toThrow(/sanctions_shape/);
    } finally {
      await db.destroy();
    }
  });
});
