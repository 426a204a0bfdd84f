import { createDatabase, migrateToLatest } from '@girok/kit/db';
import { appendEvents } from '@girok/kit/outbox';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { IdentityDatabase } from '../schema/database.ts';
import { migrations } from './index.ts';

// PGlite boots a whole PostgreSQL in WebAssembly: seconds on a busy two-core machine.
const PGLITE_BOOT_MS = 20_000;

describe('identity migrations on PGlite (local mode)', () => {
  it('apply in order, create every table, and the outbox accepts events in a transaction', {
    timeout: PGLITE_BOOT_MS,
  }, async () => {
    const db = createDatabase<IdentityDatabase>({ url: 'pglite://memory' });
    try {
      expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations).sort());
      const { rows } = await sql<{ table_name: string }>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely%'
        ORDER BY table_name`.execute(db);
      expect(rows.map((row) => row.table_name)).toEqual([
        'accounts',
        'credentials',
        'devices',
        'dsr_answers',
        'mfa_backup_codes',
        'mfa_totp',
        'outbox_events',
        'password_history',
        'profiles',
        'refresh_tokens',
        'sessions',
      ]);
      await db
        .transaction()
        .execute((tx) =>
          appendEvents(tx, [
            { topic: 'identity.account.v1', key: 'k', type: 't', source: 's', data: { ok: true } },
          ]),
        );
      expect(await db.selectFrom('outbox_events').select(['key', 'data']).execute()).toEqual([
        { key: 'k', data: { ok: true } },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
