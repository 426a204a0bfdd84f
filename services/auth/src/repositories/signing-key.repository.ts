import { Inject, Injectable } from '@nestjs/common';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { AuthDatabase, SigningKeysTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

/** A key as listed and audited: never its private half. */
export type SigningKeyRow = Omit<Selectable<SigningKeysTable>, 'private_key_encrypted'>;
/** A key with its (encrypted) private half, for the replica that signs with it. */
export type SigningKeyWithSecret = Selectable<SigningKeysTable>;

const KEY_COLUMNS = [
  'signing_keys.kid',
  'signing_keys.algorithm',
  'signing_keys.public_jwk',
  'signing_keys.status',
  'signing_keys.created_at',
  'signing_keys.activated_at',
  'signing_keys.rotated_out_at',
  'signing_keys.retired_at',
] as const;

/** NEXT, ACTIVE, PREVIOUS, RETIRED, then newest first: the order keys are listed and published in. */
const LIFECYCLE_ORDER = sql<number>`CASE signing_keys.status WHEN 'NEXT' THEN 0 WHEN 'ACTIVE' THEN 1 WHEN 'PREVIOUS' THEN 2 ELSE 3 END`;

/**
 * Serialises key changes across replicas for the rest of the transaction (bootstrap, rotation,
 * retirement): the bytes of "sigkeys" read as an integer, distinct from the outbox relay's lock.
 */
const KEY_LOCK = 32_487_611_011_446_131n;

/** Token signing keys (ES256): one NEXT and one ACTIVE, PREVIOUS ones still published, RETIRED ones kept for the record. */
@Injectable()
export class SigningKeyRepository {
  readonly #db: Kysely<AuthDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async lock(tx: Executor): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(KEY_LOCK)})`.execute(tx);
  }

  /** The next, active and previous keys, newest first: what the JWKS publishes and signing uses. */
  async findPublished(tx: Executor = this.#db): Promise<SigningKeyWithSecret[]> {
    return tx
      .selectFrom('signing_keys')
      .select([...KEY_COLUMNS, 'signing_keys.private_key_encrypted'])
      .where('signing_keys.status', 'in', ['NEXT', 'ACTIVE', 'PREVIOUS'])
      .orderBy(LIFECYCLE_ORDER)
      .orderBy('signing_keys.created_at', 'desc')
      .execute();
  }

  async list(includeRetired: boolean, tx: Executor = this.#db): Promise<SigningKeyRow[]> {
    let query = tx
      .selectFrom('signing_keys')
      .select(KEY_COLUMNS)
      .orderBy(LIFECYCLE_ORDER)
      .orderBy('signing_keys.created_at', 'desc');
    if (!includeRetired) query = query.where('signing_keys.status', '!=', 'RETIRED');
    return query.execute();
  }

  async findByKid(kid: string, tx: Executor = this.#db): Promise<SigningKeyRow | undefined> {
    return tx
      .selectFrom('signing_keys')
      .select(KEY_COLUMNS)
      .where('signing_keys.kid', '=', kid)
      .executeTakeFirst();
  }

  async findActive(tx: Executor = this.#db): Promise<SigningKeyRow | undefined> {
    return tx
      .selectFrom('signing_keys')
      .select(KEY_COLUMNS)
      .where('signing_keys.status', '=', 'ACTIVE')
      .executeTakeFirst();
  }

  async findNext(tx: Executor = this.#db): Promise<SigningKeyRow | undefined> {
    return tx
      .selectFrom('signing_keys')
      .select(KEY_COLUMNS)
      .where('signing_keys.status', '=', 'NEXT')
      .executeTakeFirst();
  }

  /**
   * Inserts a new ACTIVE or NEXT key unless one of that status exists (the partial unique indexes
   * decide); returns it when this call won.
   */
  async insert(
    status: 'ACTIVE' | 'NEXT',
    key: Omit<Insertable<SigningKeysTable>, 'status'>,
    tx: Executor,
  ): Promise<SigningKeyRow | undefined> {
    return tx
      .insertInto('signing_keys')
      .values({ ...key, status, activated_at: status === 'ACTIVE' ? key.created_at : null })
      .onConflict((oc) => oc.column('status').where('status', '=', status).doNothing())
      .returning(KEY_COLUMNS)
      .executeTakeFirst();
  }

  /** NEXT → ACTIVE (after the active one was marked PREVIOUS). */
  async promoteNext(now: Date, tx: Executor): Promise<SigningKeyRow | undefined> {
    return tx
      .updateTable('signing_keys')
      .set({ status: 'ACTIVE', activated_at: now })
      .where('status', '=', 'NEXT')
      .returning(KEY_COLUMNS)
      .executeTakeFirst();
  }

  async markPrevious(kid: string, now: Date, tx: Executor): Promise<SigningKeyRow | undefined> {
    return tx
      .updateTable('signing_keys')
      .set({ status: 'PREVIOUS', rotated_out_at: now })
      .where('kid', '=', kid)
      .where('status', '=', 'ACTIVE')
      .returning(KEY_COLUMNS)
      .executeTakeFirst();
  }

  /** Retires PREVIOUS keys: one by kid, or every one rotated out before a moment. */
  async retire(
    filter: { readonly kid: string } | { readonly rotatedOutBefore: Date },
    now: Date,
    tx: Executor,
  ): Promise<SigningKeyRow[]> {
    let query = tx
      .updateTable('signing_keys')
      .set({ status: 'RETIRED', retired_at: now })
      .where('status', '=', 'PREVIOUS');
    query =
      'kid' in filter
        ? query.where('kid', '=', filter.kid)
        : query.where('rotated_out_at', '<', filter.rotatedOutBefore);
    return query.returning(KEY_COLUMNS).execute();
  }
}
