import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Sanction } from '@girok/contracts/auth/v1/auth';
import { type Account, AccountMode, type SessionGrant } from '@girok/contracts/identity/v1/identity';
import type { ConsentGap } from '@girok/contracts/legal/v1/legal';
import type { AccessTokenClaims, TokenVerifier } from '@girok/kit/auth';
import { DomainError } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AccountModeName,
  type BrowserSession,
  BrowserSessionRepository,
} from '../repositories/browser-session.repository.ts';
import { AUTH, type AuthClient, IDENTITY, type IdentityClient, LOGGER, TOKEN_VERIFIER } from '../tokens.ts';
import {
  clearSessionCookies,
  clientInfo,
  randomToken,
  SESSION_COOKIE,
  sessionHandle,
  setSessionCookies,
} from '../web/cookies.ts';
import { LegalFlowsService } from './legal-flows.service.ts';

/** The Fastify request and reply a flow runs in (GraphQL context, REST route, WebSocket upgrade). */
export interface Exchange {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
}

/** Who is calling: their browser session and, unless it is restricted, their verified token. */
export interface Caller {
  readonly handle: string;
  readonly session: BrowserSession;
  /** Undefined for a restricted session (an admin who must enrol MFA first). */
  readonly claims: AccessTokenClaims | undefined;
}

export type LoginStatus = 'AUTHENTICATED' | 'MFA_REQUIRED' | 'MFA_ENROLLMENT_REQUIRED';

export interface LoginOutcome {
  readonly status: LoginStatus;
  /** Required documents the account must (re-)accept; checked on every AUTHENTICATED login. */
  readonly consentGaps: readonly ConsentGap[];
  /** True when legal-service could not be asked: the gaps are unknown, not empty. */
  readonly consentCheckDegraded: boolean;
  readonly challenge?: { readonly id: string; readonly expiresAt: Date; readonly attemptsLeft: number };
  readonly caller?: Caller;
  readonly account?: Account;
  readonly notices: readonly Sanction[];
}

export interface Credentials {
  readonly identifier: string;
  readonly password: string;
}

/** An access token this close to expiry is refreshed before the request runs. */
const REFRESH_AHEAD_MS = 30_000;

const modeName = (mode: AccountMode): AccountModeName =>
  mode === AccountMode.ADMIN ? 'ADMIN' : mode === AccountMode.OPERATOR ? 'OPERATOR' : 'USER';

export const sessionRequired = () =>
  new DomainError('UNAUTHENTICATED', 'SESSION_REQUIRED', 'Log in first: this needs a signed-in session');

/**
 * The browser session: login (password, MFA step, admin console; a first login records the
 * consents given at sign-up), refresh, logout, and turning a cookie back into a verified caller.
 * Backend tokens never leave the server; the browser holds an opaque cookie whose hash keys the
 * encrypted tokens in the store.
 */
@Injectable()
export class BrowserSessionService {
  readonly #identity: IdentityClient;
  readonly #auth: AuthClient;
  readonly #sessions: BrowserSessionRepository;
  readonly #verifier: TokenVerifier;
  readonly #logger: Logger;
  readonly #legal: LegalFlowsService;

  constructor(
    @Inject(IDENTITY) identity: IdentityClient,
    @Inject(AUTH) auth: AuthClient,
    @Inject(BrowserSessionRepository) sessions: BrowserSessionRepository,
    @Inject(TOKEN_VERIFIER) verifier: TokenVerifier,
    @Inject(LOGGER) logger: Logger,
    @Inject(LegalFlowsService) legal: LegalFlowsService,
  ) {
    this.#legal = legal;
    this.#identity = identity;
    this.#auth = auth;
    this.#sessions = sessions;
    this.#verifier = verifier;
    this.#logger = logger;
  }

  async login(credentials: Credentials, exchange: Exchange, adminConsole = false): Promise<LoginOutcome> {
    const { result } = await this.#identity.authenticate({
      ...credentials,
      client: clientInfo(exchange.req, exchange.reply),
    });
    if (result.case === 'mfaChallenge') {
      const challenge = result.value;
      const expiresAt =
        challenge.expiresAt === undefined ? new Date() : new Date(timestampMs(challenge.expiresAt));
      if (adminConsole)
        await this.#sessions.rememberAdminChallenge(challenge.challengeId, expiresAt.getTime() - Date.now());
      return {
        status: 'MFA_REQUIRED',
        challenge: { id: challenge.challengeId, expiresAt, attemptsLeft: challenge.attemptsLeft },
        notices: [],
        consentGaps: [],
        consentCheckDegraded: false,
      };
    }
    if (result.case !== 'session')
      throw new DomainError('INTERNAL', 'LOGIN_FAILED', 'Login returned nothing');
    return this.#establish(result.value, exchange, adminConsole);
  }

  async verifyMfa(
    input: { challengeId: string; totpCode?: string; backupCode?: string },
    exchange: Exchange,
  ): Promise<LoginOutcome> {
    const code =
      input.backupCode !== undefined && input.backupCode !== ''
        ? { case: 'backupCode' as const, value: input.backupCode }
        : { case: 'totpCode' as const, value: input.totpCode ?? '' };
    const { session } = await this.#identity.verifyMfaChallenge({
      challengeId: input.challengeId,
      code,
      client: clientInfo(exchange.req, exchange.reply),
    });
    if (session === undefined) throw new DomainError('INTERNAL', 'LOGIN_FAILED', 'MFA step returned nothing');
    const adminConsole = await this.#sessions.takeAdminChallenge(input.challengeId);
    return this.#establish(session, exchange, adminConsole);
  }

  /** A fresh access token now (rotating the refresh token), whatever the current one's expiry. */
  async refresh(caller: Caller, exchange: Exchange): Promise<Caller> {
    const refreshed = await this.#refresh(caller.handle, caller.session, exchange);
    if (refreshed === undefined) throw sessionRequired();
    return refreshed;
  }

  /** Ends the browser session behind the cookie (if any) and its identity session. */
  async logout(exchange: Exchange): Promise<void> {
    const cookie = exchange.req.cookies[SESSION_COOKIE];
    clearSessionCookies(exchange.reply);
    if (cookie === undefined || cookie === '') return;
    const handle = sessionHandle(cookie);
    const session = await this.#sessions.find(handle);
    if (session === undefined) return;
    await this.#sessions.delete(handle, session.sessionId);
    await this.#identity
      .revokeSession({
        accountId: session.accountId,
        sessionId: session.sessionId,
        client: clientInfo(exchange.req, exchange.reply),
      })
      .catch((error: unknown) => {
        // Already revoked or expired is what logout wants; anything else is worth a line.
        if (!(error instanceof DomainError && error.kind === 'NOT_FOUND'))
          this.#logger.warn({ err: error }, 'logout could not revoke the identity session');
      });
  }

  /** The caller behind the request's session cookie, or undefined when there is none (any more). */
  async resolve(exchange: Exchange): Promise<Caller | undefined> {
    const cookie = exchange.req.cookies[SESSION_COOKIE];
    if (cookie === undefined || cookie === '') return undefined;
    const handle = sessionHandle(cookie);
    const session = await this.#sessions.find(handle);
    if (session === undefined) return undefined;
    if (session.accessToken === undefined) return { handle, session, claims: undefined };
    if (session.accessExpiresAt - Date.now() < REFRESH_AHEAD_MS)
      return this.#refresh(handle, session, exchange);
    const claims = await this.#verify(handle, session);
    if (claims === undefined) return undefined;
    if (!(await this.stillValid(handle, session))) return undefined;
    return { handle, session, claims };
  }

  /**
   * The browser session behind a WebSocket's cookie: live at identity-service and not restricted.
   * A socket outlives any access token, so it is bound to the session, not to a token.
   */
  async resolveSocket(
    cookie: string | undefined,
  ): Promise<{ handle: string; session: BrowserSession } | undefined> {
    if (cookie === undefined || cookie === '') return undefined;
    const handle = sessionHandle(cookie);
    const session = await this.#sessions.find(handle);
    if (session === undefined || session.accessToken === undefined) return undefined;
    return (await this.stillValid(handle, session)) ? { handle, session } : undefined;
  }

  /** Revocation is checked against identity-service at most once per interval per session. */
  async stillValid(handle: string, session: BrowserSession): Promise<boolean> {
    if (!(await this.#sessions.revocationCheckDue(session.sessionId))) return this.#sessions.exists(handle);
    const { valid } = await this.#identity.validateSession({ sessionId: session.sessionId });
    if (!valid) await this.#sessions.delete(handle, session.sessionId);
    return valid;
  }

  async #verify(handle: string, session: BrowserSession): Promise<AccessTokenClaims | undefined> {
    try {
      return await this.#verifier.verify(session.accessToken ?? '');
    } catch (error) {
      // The issuer unreachable is an outage, not a logout.
      if (error instanceof DomainError && error.kind === 'UNAVAILABLE') throw error;
      this.#logger.info({ code: (error as DomainError).code }, 'stored access token no longer verifies');
      await this.#sessions.delete(handle, session.sessionId);
      return undefined;
    }
  }

  async #consentState(
    caller: Caller,
    country: string,
  ): Promise<Pick<LoginOutcome, 'consentGaps' | 'consentCheckDegraded'>> {
    const { gaps, degraded } = await this.#legal.gaps(caller, country);
    return { consentGaps: gaps, consentCheckDegraded: degraded };
  }

  async #refresh(handle: string, session: BrowserSession, exchange: Exchange): Promise<Caller | undefined> {
    try {
      const { session: grant } = await this.#identity.refreshSession({
        refreshToken: session.refreshToken,
        client: clientInfo(exchange.req, exchange.reply),
      });
      if (grant === undefined) return undefined;
      const token = await this.#auth.issueAccessToken({
        sessionId: session.sessionId,
        client: clientInfo(exchange.req, exchange.reply),
      });
      const next: BrowserSession = {
        ...session,
        refreshToken: grant.refreshToken,
        accessToken: token.accessToken,
        accessExpiresAt: token.expiresAt === undefined ? Date.now() : timestampMs(token.expiresAt),
        tokenType: tokenTypeName(token.tokenType),
        scope: token.scope,
        expiresAt: sessionEnd(grant),
      };
      await this.#sessions.save(handle, next);
      const claims = await this.#verify(handle, next);
      return claims === undefined ? undefined : { handle, session: next, claims };
    } catch (error) {
      if (
        error instanceof DomainError &&
        (error.kind === 'UNAUTHENTICATED' || error.kind === 'PERMISSION_DENIED')
      ) {
        await this.#sessions.delete(handle, session.sessionId);
        return undefined;
      }
      throw error;
    }
  }

  async #establish(grant: SessionGrant, exchange: Exchange, adminConsole: boolean): Promise<LoginOutcome> {
    const account = grant.account;
    const identitySession = grant.session;
    if (account === undefined || identitySession === undefined)
      throw new DomainError('INTERNAL', 'LOGIN_FAILED', 'Login returned no session');
    const client = clientInfo(exchange.req, exchange.reply);
    const abandon = () =>
      this.#identity
        .revokeSession({ accountId: account.id, sessionId: identitySession.id, client })
        .catch((error: unknown) =>
          this.#logger.warn({ err: error }, 'could not revoke an abandoned session'),
        );
    if (adminConsole && account.mode === AccountMode.USER) {
      await abandon();
      throw new DomainError(
        'PERMISSION_DENIED',
        'NOT_AN_ADMIN_ACCOUNT',
        'This account cannot use the admin console',
      );
    }
    let token: Awaited<ReturnType<AuthClient['issueAccessToken']>> | undefined;
    try {
      token = await this.#auth.issueAccessToken({ sessionId: identitySession.id, client });
    } catch (error) {
      const mustEnrol =
        error instanceof DomainError && error.code === 'MFA_REQUIRED' && account.mfaEnrollmentRequired;
      if (!mustEnrol) {
        await abandon();
        throw error;
      }
    }
    const cookie = randomToken();
    const handle = sessionHandle(cookie);
    const session: BrowserSession = {
      accountId: account.id,
      sessionId: identitySession.id,
      mode: modeName(account.mode),
      refreshToken: grant.refreshToken,
      accessToken: token?.accessToken,
      accessExpiresAt: token?.expiresAt === undefined ? 0 : timestampMs(token.expiresAt),
      tokenType: token === undefined ? undefined : tokenTypeName(token.tokenType),
      scope: token?.scope ?? [],
      csrfToken: randomToken(),
      expiresAt: sessionEnd(grant),
    };
    if (token !== undefined) {
      // Before the session exists: a first login whose sign-up consents cannot be recorded ends
      // here, with no cookie, and the next try records them.
      try {
        await this.#legal.recordParked({ handle, session, claims: undefined });
      } catch (error) {
        await abandon();
        throw error;
      }
    }
    await this.#sessions.save(handle, session);
    setSessionCookies(
      exchange.reply,
      cookie,
      session.csrfToken,
      Math.ceil((session.expiresAt - Date.now()) / 1000),
    );
    const claims = token === undefined ? undefined : await this.#verifier.verify(token.accessToken);
    const caller = { handle, session, claims };
    return {
      status: token === undefined ? 'MFA_ENROLLMENT_REQUIRED' : 'AUTHENTICATED',
      caller,
      account,
      notices: token?.notices ?? [],
      ...(token === undefined
        ? { consentGaps: [], consentCheckDegraded: false }
        : await this.#consentState(caller, account.country)),
    };
  }
}

function sessionEnd(grant: SessionGrant): number {
  const idle = grant.session?.idleExpiresAt;
  const absolute = grant.session?.expiresAt;
  const ends = [idle, absolute].filter((t) => t !== undefined).map((t) => timestampMs(t));
  return ends.length === 0 ? Date.now() + 3600_000 : Math.min(...ends);
}

const TOKEN_TYPE_NAMES = ['UNSPECIFIED', 'USER_ACCESS', 'ADMIN_ACCESS', 'OPERATOR_ACCESS'];
const tokenTypeName = (type: number): string => TOKEN_TYPE_NAMES[type] ?? 'UNSPECIFIED';
