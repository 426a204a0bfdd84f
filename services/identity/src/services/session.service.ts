import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfo } from '@girok/contracts/common/v1/common';
import {
  AccountStatus,
  type ListSessionsRequest,
  type ListSessionsResponseSchema,
  type RefreshSessionRequest,
  type RefreshSessionResponseSchema,
  type RevokeAllSessionsRequest,
  type RevokeAllSessionsResponseSchema,
  type RevokeSessionRequest,
  type RevokeSessionResponseSchema,
  type SessionGrantSchema,
  type ValidateSessionRequest,
  type ValidateSessionResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { assertThat, DomainError } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents, type OutboxEventInput } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { IdentityConfig, SessionLifetime } from '../config.ts';
import { generateRefreshToken, hashRefreshToken } from '../crypto/opaque-secrets.ts';
import { afterIdFrom, pageToken, statusToProto, toAccount, toSession } from '../dtos/identity.dto.ts';
import {
  AccountRepository,
  type AccountRow,
  type AccountWithMfa,
} from '../repositories/account.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import { SessionRepository, type SessionRow } from '../repositories/session.repository.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.ts';
import { auditEvent, IdentityEvents } from './identity-events.ts';
import { pageSize, requireIds } from './validation.ts';

const invalidRefreshToken = () =>
  new DomainError(
    'UNAUTHENTICATED',
    'INVALID_REFRESH_TOKEN',
    'The refresh token is invalid or expired; log in again',
  );

export interface NewSession {
  readonly account: AccountRow;
  readonly mfaEnabled: boolean;
  readonly deviceId: string | null;
  readonly mfaVerified: boolean;
  readonly client: ClientInfo | undefined;
  /** A returning device whose last-seen the same statement refreshes. */
  readonly seenDevice?: { readonly ip: string };
  /** A password login: the same statement releases the attempts it reserved on the account. */
  readonly releasesLoginAttempts?: boolean;
}

/**
 * Sessions as refresh-token families: every refresh rotates the token; presenting a rotated token
 * again after the grace window revokes the family (reuse detection).
 */
@Injectable()
export class SessionService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #sessions: SessionRepository;
  readonly #accounts: AccountRepository;
  readonly #config: IdentityConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(SessionRepository) sessions: SessionRepository,
    @Inject(AccountRepository) accounts: AccountRepository,
    @Inject(CONFIG) config: IdentityConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#sessions = sessions;
    this.#accounts = accounts;
    this.#config = config;
    this.#clock = clock;
  }

  #lifetime(mode: AccountRow['mode']): SessionLifetime {
    return mode === 'USER' ? this.#config.sessions.user : this.#config.sessions.admin;
  }

  /**
   * Opens a session with its event and the caller's own (`alongside`), in one statement: on the
   * pool it commits by itself; inside a transaction it joins it.
   */
  async open(
    input: NewSession,
    tx: Executor = this.#db,
    alongside: (session: SessionRow) => OutboxEventInput[] = () => [],
  ): Promise<MessageInitShape<typeof SessionGrantSchema>> {
    const now = this.#clock.now();
    const lifetime = this.#lifetime(input.account.mode);
    const refreshToken = generateRefreshToken();
    const expiresAt = new Date(now.getTime() + lifetime.absoluteMs);
    const row: SessionRow = {
      id: uuidv7(),
      account_id: input.account.id,
      device_id: input.deviceId,
      mode: input.account.mode,
      mfa_verified: input.mfaVerified,
      ip_address: input.client?.ipAddress ?? '',
      user_agent: input.client?.userAgent ?? '',
      created_at: now,
      last_used_at: now,
      idle_expires_at: new Date(Math.min(now.getTime() + lifetime.idleMs, expiresAt.getTime())),
      expires_at: expiresAt,
      revoked_at: null,
      revoke_reason: null,
    };
    const events = [IdentityEvents.session('created', row), ...alongside(row)];
    await this.#sessions.insert(row, hashRefreshToken(refreshToken), events, tx, {
      ...(input.seenDevice === undefined ? {} : { seenDevice: input.seenDevice }),
      releasesLoginAttempts: input.releasesLoginAttempts === true,
    });
    return { session: toSession(row), refreshToken, account: toAccount(input.account, input.mfaEnabled) };
  }

  #isLive(row: SessionRow, now: Date): boolean {
    return row.revoked_at === null && now < row.idle_expires_at && now < row.expires_at;
  }

  async refresh(
    request: RefreshSessionRequest,
  ): Promise<MessageInitShape<typeof RefreshSessionResponseSchema>> {
    if (request.refreshToken === '' || request.refreshToken.length > 256) throw invalidRefreshToken();
    const tokenHash = hashRefreshToken(request.refreshToken);
    const successor = generateRefreshToken();
    const outcome = await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const sessionId = await this.#sessions.rotate(
        tokenHash,
        this.#config.keyRing.encrypt(successor, tokenHash),
        now,
        tx,
      );
      if (sessionId === undefined) return { rotated: false as const };
      const session = await this.#sessions.findByIdForUpdate(sessionId, tx);
      const account = session && (await this.#accounts.findWithMfa(session.account_id, tx));
      if (
        session === undefined ||
        account === undefined ||
        !this.#isLive(session, now) ||
        account.status === 'DELETED'
      ) {
        return { rotated: false as const, expired: true };
      }
      await this.#sessions.insertToken(sessionId, hashRefreshToken(successor), now, tx);
      await this.#sessions.forgetSuccessors(
        sessionId,
        new Date(now.getTime() - this.#config.refreshGraceMs),
        tx,
      );
      const idle = new Date(
        Math.min(now.getTime() + this.#lifetime(session.mode).idleMs, session.expires_at.getTime()),
      );
      const touched = await this.#sessions.touch(sessionId, now, idle, tx);
      await appendEvents(tx, [IdentityEvents.session('refreshed', touched)]);
      return { rotated: true as const, session: touched, account };
    });
    if (outcome.rotated) return this.#grant(outcome.session, outcome.account, successor);
    if ('expired' in outcome) throw invalidRefreshToken();
    return this.#repeatOrReuse(tokenHash, request.client);
  }

  /**
   * The token was already rotated. Within the grace window this is a benign repeat (two tabs, a
   * retrying app): answer with the same successor. After it, the token was stolen or replayed:
   * revoke the whole family.
   */
  async #repeatOrReuse(
    tokenHash: string,
    client: ClientInfo | undefined,
  ): Promise<MessageInitShape<typeof RefreshSessionResponseSchema>> {
    const now = this.#clock.now();
    const token = await this.#sessions.findToken(tokenHash);
    if (token?.rotated_at == null) throw invalidRefreshToken();
    const session = await this.#sessions.findById(token.session_id);
    if (session === undefined) throw invalidRefreshToken();
    const withinGrace = now.getTime() - token.rotated_at.getTime() <= this.#config.refreshGraceMs;
    if (withinGrace && token.successor_encrypted !== null && this.#isLive(session, now)) {
      const account = await this.#accounts.findWithMfa(session.account_id);
      assertThat(
        account && account.status !== 'DELETED',
        'UNAUTHENTICATED',
        'INVALID_REFRESH_TOKEN',
        'Log in again',
      );
      const successor = this.#config.keyRing.decryptToString(token.successor_encrypted, tokenHash);
      return this.#grant(session, account, successor);
    }
    if (session.revoked_at === null) {
      await this.#db.transaction().execute(async (tx) => {
        const revoked = await this.#sessions.revoke(
          { accountId: session.account_id, sessionId: session.id },
          'REFRESH_TOKEN_REUSE',
          now,
          tx,
        );
        await appendEvents(tx, [
          ...revoked.map((row) => IdentityEvents.session('revoked', row)),
          auditEvent({
            action: 'session.refresh_token_reuse',
            actorId: session.account_id,
            targetType: 'session',
            targetId: session.id,
            result: 'DENIED',
            reason: 'REFRESH_TOKEN_REUSE',
            client,
            now,
          }),
        ]);
      });
    }
    throw new DomainError(
      'UNAUTHENTICATED',
      'REFRESH_TOKEN_REUSED',
      'This refresh token was already used; the session has been revoked for safety. Log in again',
    );
  }

  #grant(session: SessionRow, account: AccountWithMfa, refreshToken: string) {
    return {
      session: {
        session: toSession(session),
        refreshToken,
        account: toAccount(account, account.mfa_enabled),
      },
    };
  }

  /** One session as stored, or undefined. */
  find(sessionId: string): Promise<SessionRow | undefined> {
    return this.#sessions.findById(sessionId);
  }

  async validate(
    request: ValidateSessionRequest,
  ): Promise<MessageInitShape<typeof ValidateSessionResponseSchema>> {
    requireIds({ session_id: request.sessionId });
    const row = await this.#sessions.findWithAccountStatus(request.sessionId);
    if (row === undefined) return { valid: false };
    const valid = this.#isLive(row, this.#clock.now()) && row.account_status !== 'DELETED';
    return valid
      ? { valid, session: toSession(row), accountStatus: statusToProto(row.account_status) }
      : {
          valid,
          accountStatus:
            row.account_status === 'DELETED' ? AccountStatus.DELETED : statusToProto(row.account_status),
        };
  }

  async list(request: ListSessionsRequest): Promise<MessageInitShape<typeof ListSessionsResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const limit = pageSize(request.page?.pageSize);
    const afterId = afterIdFrom(request.page?.pageToken ?? '');
    const rows = await this.#sessions.listByAccount(request.accountId, {
      includeRevoked: request.includeRevoked,
      limit: limit + 1,
      ...(afterId === undefined ? {} : { afterId }),
    });
    const page = rows.slice(0, limit);
    return {
      sessions: page.map(toSession),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  async revokeOne(
    request: RevokeSessionRequest,
  ): Promise<MessageInitShape<typeof RevokeSessionResponseSchema>> {
    requireIds({ account_id: request.accountId, session_id: request.sessionId });
    const revoked = await this.revokeWhere(
      { accountId: request.accountId, sessionId: request.sessionId },
      'USER_REVOKED',
      request.client,
    );
    if (revoked === 0) {
      const exists = await this.#sessions.findById(request.sessionId);
      assertThat(
        exists?.account_id === request.accountId,
        'NOT_FOUND',
        'SESSION_NOT_FOUND',
        'No such session',
      );
    }
    return {};
  }

  async revokeAll(
    request: RevokeAllSessionsRequest,
  ): Promise<MessageInitShape<typeof RevokeAllSessionsResponseSchema>> {
    requireIds({ account_id: request.accountId });
    if (request.exceptSessionId !== '') requireIds({ except_session_id: request.exceptSessionId });
    const revoked = await this.revokeWhere(
      { accountId: request.accountId, exceptSessionId: request.exceptSessionId },
      'USER_REVOKED_ALL',
      request.client,
    );
    return { revokedSessions: revoked };
  }

  /** Revokes matching sessions with one event each and one audit event, in its own transaction. */
  async revokeWhere(
    filter: { accountId: string; sessionId?: string; exceptSessionId?: string },
    reason: string,
    client: ClientInfo | undefined,
  ): Promise<number> {
    return this.#db.transaction().execute((tx) => this.revokeIn(tx, filter, reason, client));
  }

  async revokeIn(
    tx: Executor,
    filter: { accountId: string; sessionId?: string; deviceId?: string; exceptSessionId?: string },
    reason: string,
    client: ClientInfo | undefined,
  ): Promise<number> {
    const now = this.#clock.now();
    const revoked = await this.#sessions.revoke(filter, reason, now, tx);
    if (revoked.length > 0) {
      await appendEvents(tx, [
        ...revoked.map((row) => IdentityEvents.session('revoked', row)),
        auditEvent({
          action: 'session.revoke',
          actorId: filter.accountId,
          targetType: 'session',
          targetId: filter.sessionId ?? '',
          result: 'SUCCESS',
          reason,
          client,
          now,
          metadata: { count: String(revoked.length) },
        }),
      ]);
    }
    return revoked.length;
  }
}
