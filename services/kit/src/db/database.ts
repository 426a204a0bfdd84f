import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';

export interface DatabaseOptions {
  readonly url: string;
  /** Pool size; a service replica rarely needs more than 10-20 connections. */
  readonly maxConnections?: number;
  /** Fail fast when the server is unreachable instead of queueing for ever. */
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
}

// BIGINT (int8) counts fit a JS number in every table here; NUMERIC stays a string.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/**
 * `pglite://memory` or `pglite:///absolute/dir` selects PGlite (PostgreSQL in this process, local
 * mode); anything else is a PostgreSQL URL.
 */
export function isPGliteUrl(url: string): boolean {
  return url.startsWith('pglite:');
}

/** A kysely instance over a pg pool, or over PGlite for a `pglite:` URL. */
export function createDatabase<DB>(options: DatabaseOptions): Kysely<DB> {
  if (isPGliteUrl(options.url)) {
    const url = new URL(options.url);
    const dataDir = url.host === 'memory' ? undefined : decodeURIComponent(url.pathname);
    // int8 as a number, as the pg pool reads it above.
    const db = new PGlite(dataDir, {
      parsers: { [pgliteTypes.INT8]: (value: string) => Number.parseInt(value, 10) },
    });
    return new Kysely<DB>({ dialect: new PGliteDialect(db) });
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
  });
  // A client losing its server must not crash the process, idle in the pool (the pool's 'error')
  // or checked out between two statements of a transaction (the client's own 'error', which has
  // no listener otherwise): the next query reports it, as UNAVAILABLE, and the pool drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Applies the service's migrations (an ordered record name → migration, names sortable, e.g.
 * `0001_accounts`). Concurrent replicas are safe: kysely takes a lock table. Fails with the name
 * of the migration that broke.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  // Migrations work on the untyped schema (they create it); the service's table types do not apply.
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`migration ${failed?.migrationName ?? '(setup)'} failed: ${String(error)}`, {
      cause: error,
    });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Creates the database named in `url` when it does not exist (local runs and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  if (isPGliteUrl(url)) return; // PGlite creates its data directory itself
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    // Two replicas racing to create it: the loser sees a duplicate, which is fine.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505')
      throw error;
  } finally {
    await client.end();
  }
}

/** True for PostgreSQL's unique_violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** Liveness of the database for /health/ready. */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
