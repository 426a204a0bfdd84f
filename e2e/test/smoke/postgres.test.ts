import { randomUUID } from 'node:crypto';
import { type Generated, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';

interface Database {
  account: { id: string; email: string; created_at: Generated<Date> };
}

describe('PostgreSQL through pg + kysely', () => {
  const dbName = `smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let admin: pg.Client;
  let db: Kysely<Database>;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(infraEnv('DATABASE_URL'));
    url.pathname = `/${dbName}`;
    const pool = new pg.Pool({ connectionString: url.href, max: 4 });
    // A client still closing when afterAll drops the database WITH (FORCE) gets a FATAL 57P01; the
    // pool has already let go of it, so without a listener that would be an unhandled error.
    pool.on('error', () => {});
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await db.schema
      .createTable('account')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  });

  afterAll(async () => {
    await db?.destroy();
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.end();
  });

  it('is PostgreSQL 15', async () => {
    const { rows } = await admin.query<{ server_version_num: string }>('SHOW server_version_num');
    expect(Number(rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
    expect(Number(rows[0]?.server_version_num)).toBeLessThan(160000);
  });

  it('writes rows and reads them back', async () => {
    const id = randomUUID();
    const inserted = await db
      .insertInto('account')
      .values({ id, email: 'ada@example.test' })
      .returning(['id', 'email', 'created_at'])
      .executeTakeFirstOrThrow();
    expect(inserted).toMatchObject({ id, email: 'ada@example.test' });
    expect(inserted.created_at).toBeInstanceOf(Date);

    const found = await db
      .selectFrom('account')
      .select(['id', 'email'])
      .where('email', '=', 'ada@example.test')
      .execute();
    expect(found).toEqual([{ id, email: 'ada@example.test' }]);
  });

  it('enforces constraints and rolls a failed transaction back whole', async () => {
    const attempt = db.transaction().execute(async (trx) => {
      await trx.insertInto('account').values({ id: randomUUID(), email: 'grace@example.test' }).execute();
      await trx.insertInto('account').values({ id: randomUUID(), email: 'grace@example.test' }).execute();
    });
    await expect(attempt).rejects.toMatchObject({ code: '23505' });
    const left = await db
      .selectFrom('account')
      .select('id')
      .where('email', '=', 'grace@example.test')
      .execute();
    expect(left).toEqual([]);
  });
});
