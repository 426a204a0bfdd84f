import { randomUUID } from 'node:crypto';
import { type Generated, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, ensureDatabase, isUniqueViolation, migrateToLatest } from '../src/db/index.ts';

interface Database {
  item: { id: string; seq: Generated<number>; name: string; data: unknown; created_at: Date };
  counter: { id: number; value: number };
}

const migrations: Record<string, Migration> = {
  '0001-item': {
    async up(db) {
      await db.schema
        .createTable('item')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('seq', 'bigserial')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('data', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO counter VALUES (1, 0)`.execute(db);
    },
  },
};

/** One contract, two databases: local mode's PGlite must behave as PostgreSQL does for the services. */
const targets: [string, () => string][] = [
  [
    'PostgreSQL',
    () => {
      const url = new URL(inject('infraEnv').DATABASE_URL ?? '');
      url.pathname = `/kit_db_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      return url.toString();
    },
  ],
  ['PGlite (in memory)', () => 'pglite://memory'],
];

describe.each(targets)('database contract: %s', (name, makeUrl) => {
  const url = makeUrl();
  let db: Kysely<Database>;
  beforeAll(async () => {
    await ensureDatabase(url);
    db = createDatabase<Database>({ url });
    expect(await migrateToLatest(db, migrations)).toEqual(['0001-item']);
    expect(await migrateToLatest(db, migrations)).toEqual([]); // applied once
  });
  afterAll(async () => {
    await db?.destroy();
    if (name === 'PostgreSQL') {
      const admin = new pg.Client({ connectionString: inject('infraEnv').DATABASE_URL });
      await admin.connect();
      await admin.query(
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(new URL(url).pathname.slice(1))} WITH (FORCE)`,
      );
      await admin.end();
    }
  });

  it('round-trips uuid, bigserial (as a number), jsonb and timestamptz', async () => {
    const at = new Date('2026-11-25T12:34:56.789Z');
    await db
      .insertInto('item')
      .values({ id: randomUUID(), name: 'a', data: JSON.stringify({ deep: [1, 'two'] }), created_at: at })
      .execute();
    const row = await db
      .selectFrom('item')
      .select(['seq', 'data', 'created_at'])
      .where('name', '=', 'a')
      .executeTakeFirstOrThrow();
    expect(typeof row.seq).toBe('number');
    expect(row.data).toEqual({ deep: [1, 'two'] });
    expect(row.created_at).toEqual(at);
  });

  it('rolls back a failed transaction entirely, and names the unique violation', async () => {
    const error = await db
      .transaction()
      .execute(async (tx) => {
        await tx
          .insertInto('item')
          .values({ id: randomUUID(), name: 'b', data: '{}', created_at: new Date() })
          .execute();
        await tx
          .insertInto('item')
          .values({ id: randomUUID(), name: 'a', data: '{}', created_at: new Date() })
          .execute();
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'item_name_key')).toBe(true);
    expect(await db.selectFrom('item').select('name').where('name', '=', 'b').execute()).toEqual([]);
  });

  it('isolates concurrent transactions: 20 read-modify-writes under FOR UPDATE lose no update', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction().execute(async (tx) => {
          const { value } = await tx
            .selectFrom('counter')
            .select('value')
            .where('id', '=', 1)
            .forUpdate()
            .executeTakeFirstOrThrow();
          await tx
            .updateTable('counter')
            .set({ value: value + 1 })
            .where('id', '=', 1)
            .execute();
        }),
      ),
    );
    expect((await db.selectFrom('counter').select('value').executeTakeFirstOrThrow()).value).toBe(20);
  });

  it('reports affected rows', async () => {
    const result = await db
      .updateTable('item')
      .set({ name: 'a2' })
      .where('name', '=', 'a')
      .executeTakeFirst();
    expect(result.numUpdatedRows).toBe(1n);
  });
});
