import { type OutboxEventInput, outboxRows } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import type { AccountStatusValue, IdentityDatabase, SessionsTable } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type SessionRow = Selectable<SessionsTable>;

const SESSION_COLUMNS = [
  'sessions.id',
  'sessions.account_id',
  'sessions.device_id',
  'sessions.mode',
  'sessions.mfa_verified',
  'sessions.ip_address',
  'sessions.user_agent',
  'sessions.created_at',
  'sessions.last_used_at',
  'sessions.idle_expires_at',
  'sessions.expires_at',
  'sessions.revoked_at',
  'sessions.revoke_reason',
] as const;

export interface RefreshTokenRow {
  readonly session_id: string;
  readonly rotated_at: Date | null;
  readonly successor_encrypted: string | null;
}

/** Sessions (refresh-token families) and their tokens. */
@Injectable()
export class SessionRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  /**
   * A new session, its first refresh token, its events, (for a returning device) the device's
   * last-seen and (for a password login) the release of the account's reserved login attempts, in
   * one statement: atomic without a transaction, and one round trip on the login hot path.
   */
  async insert(
    session: SessionRow,
    tokenHash: string,
    events: readonly OutboxEventInput[],
    tx: Executor,
    options: { readonly seenDevice?: { readonly ip: string }; readonly releasesLoginAttempts?: boolean } = {},
  ): Promise<void> {
    const { seenDevice } = options;
    const withSession = tx
      .with('session', (db) => db.insertInto('sessions').values(session).returning(['id', 'created_at']))
      .with('token', (db) =>
        db
          .insertInto('refresh_tokens')
          .columns(['token_hash', 'session_id', 'created_at'])
          .expression((eb) =>
            eb
              .selectFrom('session')
              .select([eb.val(tokenHash).as('token_hash'), 'session.id', 'session.created_at']),
          )
          .returning('token_hash'),
      );
    const withDevice =
      seenDevice === undefined || session.device_id === null
        ? withSession
        : (withSession.with('device', (db) =>
            db
              .updateTable('devices')
              .set({ last_seen_at: session.created_at, last_ip: seenDevice.ip })
              .where('id', '=', session.device_id ?? '')
              .returning('id'),
          ) as unknown as typeof withSession);
    const statement =
      options.releasesLoginAttempts !== true
        ? withDevice
        : (withDevice.with('released', (db) =>
            db
              .updateTable('accounts')
              .set({ failed_login_count: 0, locked_until: null })
              .where('id', '=', session.account_id)
              .returning('id'),
          ) as unknown as typeof withSession);
    await statement.insertInto('outbox_events').values(outboxRows(events)).execute();
  }

  async findById(id: string, tx: Executor = this.#db): Promise<SessionRow | undefined> {
    return tx.selectFrom('sessions').select(SESSION_COLUMNS).where('sessions.id', '=', id).executeTakeFirst();
  }

  /** The session and its account's status in one round trip (the validation hot path). */
  async findWithAccountStatus(
    id: string,
    tx: Executor = this.#db,
  ): Promise<(SessionRow & { account_status: AccountStatusValue }) | undefined> {
    return tx
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .select(SESSION_COLUMNS)
      .select('accounts.status as account_status')
      .where('sessions.id', '=', id)
      .executeTakeFirst();
  }

  async findByIdForUpdate(id: string, tx: Executor): Promise<SessionRow | undefined> {
    return tx
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('sessions.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  async listByAccount(
    accountId: string,
    options: { includeRevoked: boolean; afterId?: string; limit: number },
    tx: Executor = this.#db,
  ): Promise<SessionRow[]> {
    let query = tx
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('sessions.account_id', '=', accountId)
      .orderBy('sessions.id', 'desc')
      .limit(options.limit);
    if (!options.includeRevoked) query = query.where('sessions.revoked_at', 'is', null);
    if (options.afterId !== undefined) query = query.where('sessions.id', '<', options.afterId);
    return query.execute();
  }

  /** Every session of the account, revoked ones too, newest first (a data-subject export). */
  async listAllByAccount(accountId: string, tx: Executor = this.#db): Promise<SessionRow[]> {
    return tx
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('sessions.account_id', '=', accountId)
      .orderBy('sessions.id', 'desc')
      .execute();
  }

  /**
   * Erasure: the account's sessions keep their ids, times and revoke reasons (the history of a
   * tombstone) but lose where they came from (IP address, user agent), and their refresh tokens go.
   */
  async eraseClientData(accountId: string, tx: Executor): Promise<void> {
    const sessions = tx.selectFrom('sessions').select('id').where('account_id', '=', accountId);
    await tx.deleteFrom('refresh_tokens').where('session_id', 'in', sessions).execute();
    await tx
      .updateTable('sessions')
      .set({ ip_address: '', user_agent: '' })
      .where('account_id', '=', accountId)
      .execute();
  }

  /**
   * Marks the token rotated if nobody has yet, storing its successor; atomic, so of two concurrent
   * refreshes exactly one rotates. Returns the session id when this call won.
   */
  async rotate(
    tokenHash: string,
    successorEncrypted: string,
    now: Date,
    tx: Executor,
  ): Promise<string | undefined> {
    const row = await tx
      .updateTable('refresh_tokens')
      .set({ rotated_at: now, successor_encrypted: successorEncrypted })
      .where('token_hash', '=', tokenHash)
      .where('rotated_at', 'is', null)
      .returning('session_id')
      .executeTakeFirst();
    return row?.session_id;
  }

  async findToken(tokenHash: string, tx: Executor = this.#db): Promise<RefreshTokenRow | undefined> {
    return tx
      .selectFrom('refresh_tokens')
      .select(['session_id', 'rotated_at', 'successor_encrypted'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  async insertToken(sessionId: string, tokenHash: string, now: Date, tx: Executor): Promise<void> {
    await tx
      .insertInto('refresh_tokens')
      .values({ token_hash: tokenHash, session_id: sessionId, created_at: now })
      .execute();
  }

  /** Forgets successors whose grace window is over (they are only kept to answer benign repeats). */
  async forgetSuccessors(sessionId: string, rotatedBefore: Date, tx: Executor): Promise<void> {
    await tx
      .updateTable('refresh_tokens')
      .set({ successor_encrypted: null })
      .where('session_id', '=', sessionId)
      .where('rotated_at', '<', rotatedBefore)
      .where('successor_encrypted', 'is not', null)
      .execute();
  }

  async touch(sessionId: string, now: Date, idleExpiresAt: Date, tx: Executor): Promise<SessionRow> {
    return tx
      .updateTable('sessions')
      .set({ last_used_at: now, idle_expires_at: idleExpiresAt })
      .where('id', '=', sessionId)
      .returning(SESSION_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** Revokes the account's live sessions matching the filter; returns those it revoked. */
  async revoke(
    filter: { accountId: string; sessionId?: string; deviceId?: string; exceptSessionId?: string },
    reason: string,
    now: Date,
    tx: Executor,
  ): Promise<SessionRow[]> {
    let query = tx
      .updateTable('sessions')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('account_id', '=', filter.accountId)
      .where('revoked_at', 'is', null);
    if (filter.sessionId !== undefined) query = query.where('id', '=', filter.sessionId);
    if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
    if (filter.exceptSessionId !== undefined && filter.exceptSessionId !== '') {
      query = query.where('id', '!=', filter.exceptSessionId);
    }
    return query.returning(SESSION_COLUMNS).execute();
  }
}
