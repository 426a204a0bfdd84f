import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ClientInfo } from '@girok/contracts/common/v1/common';
import type {
  AuthenticateRequest,
  AuthenticateResponseSchema,
  VerifyMfaChallengeRequest,
  VerifyMfaChallengeResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { type KeyValueStore, RateLimiter } from '@girok/kit/cache';
import { DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents, type OutboxEventInput } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { IdentityConfig } from '../config.ts';
import { PasswordHasher } from '../crypto/password-hasher.ts';
import {
  type AccountForLogin,
  AccountRepository,
  type AccountWithMfa,
} from '../repositories/account.repository.ts';
import { CredentialRepository } from '../repositories/credential.repository.ts';
import { DeviceRepository } from '../repositories/device.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, KV_STORE } from '../tokens.ts';
import { auditEvent, IdentityEvents } from './identity-events.ts';
import { MfaService } from './mfa.service.ts';
import { SessionService } from './session.service.ts';
import { normaliseIdentifier } from './validation.ts';

/** One answer for every failed password login: unknown account, wrong password, locked, deleted. */
const invalidCredentials = () =>
  new DomainError('UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'The email, username or password is incorrect');

/** A password-verified login waiting for its second factor, kept in Valkey for any replica. */
interface Challenge {
  readonly accountId: string;
  readonly deviceId: string | null;
}

/**
 * Password login, lockout, rate limits and the MFA step. Every failed attempt costs one argon2id
 * verification (a dummy one for unknown accounts) so neither the message nor the timing tells
 * whether an account exists.
 */
@Injectable()
export class AuthenticationService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #accounts: AccountRepository;
  readonly #credentials: CredentialRepository;
  readonly #devices: DeviceRepository;
  readonly #sessions: SessionService;
  readonly #mfa: MfaService;
  readonly #hasher: PasswordHasher;
  readonly #store: KeyValueStore;
  readonly #limiter: RateLimiter;
  readonly #config: IdentityConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(AccountRepository) accounts: AccountRepository,
    @Inject(CredentialRepository) credentials: CredentialRepository,
    @Inject(DeviceRepository) devices: DeviceRepository,
    @Inject(SessionService) sessions: SessionService,
    @Inject(MfaService) mfa: MfaService,
    @Inject(PasswordHasher) hasher: PasswordHasher,
    @Inject(KV_STORE) store: KeyValueStore,
    @Inject(CONFIG) config: IdentityConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#accounts = accounts;
    this.#credentials = credentials;
    this.#devices = devices;
    this.#sessions = sessions;
    this.#mfa = mfa;
    this.#hasher = hasher;
    this.#store = store;
    this.#limiter = new RateLimiter(store);
    this.#config = config;
    this.#clock = clock;
  }

  async authenticate(
    request: AuthenticateRequest,
  ): Promise<MessageInitShape<typeof AuthenticateResponseSchema>> {
    const identifier = normaliseIdentifier(request.identifier);
    new Violations()
      .check(identifier !== '' && identifier.length <= 254, 'identifier', 'must be an email or username')
      .check(request.password !== '' && request.password.length <= 1024, 'password', 'is required')
      // Without it the per-IP limit has nothing to count: every caller (the BFF) passes the browser's.
      .check(
        isIP(request.client?.ipAddress ?? '') !== 0,
        'client.ip_address',
        'must be the client’s IP address',
      )
      .throwIfAny();
    await this.#checkRateLimits(identifier, request.client?.ipAddress ?? '');

    const fingerprint = deviceFingerprint(request.client);
    const now = this.#clock.now();
    const account = await this.#accounts.reserveLoginAttempt(
      identifier,
      fingerprint,
      this.#config.lockout,
      now,
    );
    // A refused attempt still costs one verification, so neither an unknown account nor a lock
    // answers faster; but only a reserved attempt gets its password checked.
    const passwordOk =
      account?.password_hash != null && account.attempt !== null
        ? await this.#hasher.verify(account.password_hash, request.password)
        : await this.#hasher.verifyDummy(request.password);

    if (account === undefined || account.password_hash == null || account.status === 'DELETED') {
      await this.#audit('account.login', undefined, 'FAILURE', 'INVALID_CREDENTIALS', request.client);
      throw invalidCredentials();
    }
    if (account.attempt === null) {
      // Refused even with the right password; same answer as a wrong one (Keycloak does the same),
      // so the lock tells an attacker nothing. The owner learns of it from account.locked.
      await this.#audit('account.login', account.id, 'DENIED', 'ACCOUNT_LOCKED', request.client);
      throw invalidCredentials();
    }
    if (!passwordOk) {
      await this.#recordFailure(account, account.attempt, now, request.client);
      throw invalidCredentials();
    }

    if (this.#hasher.needsRehash(account.password_hash)) {
      // Parameters changed since this hash was made: upgrade it while we hold the password.
      await this.#credentials.rehash(account.id, await this.#hasher.hash(request.password));
    }

    if (account.device_id !== null && !this.#needsMfa(account, account.device_trusted)) {
      // The hot path: a returning device and no second factor. Session, token, events, the
      // device's last-seen and the release of this attempt's reservation go in one statement.
      const session = await this.#openSession(
        this.#db,
        account,
        account.device_id,
        'password',
        request.client,
        [],
        {
          ip: request.client?.ipAddress ?? '',
        },
      );
      return { result: { case: 'session' as const, value: session } };
    }
    return this.#db.transaction().execute(async (tx) => {
      const device = await this.#registerDevice(account, fingerprint, request.client, tx);
      if (this.#needsMfa(account, device?.row.trusted ?? null)) {
        // The password was right: its reservation goes now; the second factor has its own limit.
        await this.#accounts.releaseLoginAttempts(account.id, tx);
        const challengeId = await this.#openChallenge({
          accountId: account.id,
          deviceId: device?.row.id ?? null,
        });
        await appendEvents(tx, [
          ...(device?.events ?? []),
          auditEvent({
            action: 'account.login.password',
            actorId: account.id,
            targetType: 'account',
            targetId: account.id,
            result: 'SUCCESS',
            reason: 'MFA_REQUIRED',
            client: request.client,
            now,
          }),
        ]);
        return {
          result: {
            case: 'mfaChallenge' as const,
            value: {
              challengeId,
              expiresAt: timestampFromDate(new Date(now.getTime() + this.#config.mfaChallenge.ttlMs)),
              attemptsLeft: this.#config.mfaChallenge.maxAttempts,
            },
          },
        };
      }
      const grant = await this.#openSession(
        tx,
        account,
        device?.row.id ?? null,
        'password',
        request.client,
        device?.events,
      );
      return { result: { case: 'session' as const, value: grant } };
    });
  }

  async verifyChallenge(
    request: VerifyMfaChallengeRequest,
  ): Promise<MessageInitShape<typeof VerifyMfaChallengeResponseSchema>> {
    new Violations()
      .check(
        /^[A-Za-z0-9_-]{16,64}$/.test(request.challengeId),
        'challenge_id',
        'must be a challenge id from Authenticate',
      )
      .check(request.code.case !== undefined, 'code', 'give totp_code or backup_code')
      .throwIfAny();
    const key = `mfa:challenge:${request.challengeId}`;
    const stored = await this.#store.get(key);
    if (stored === undefined) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'MFA_CHALLENGE_EXPIRED',
        'The login challenge expired or was used up; log in again',
      );
    }
    const challenge = JSON.parse(stored) as Challenge;
    const [attempts = 0] = await this.#store.increment({
      key: `${key}:attempts`,
      ttlMs: this.#config.mfaChallenge.ttlMs,
    });
    const max = this.#config.mfaChallenge.maxAttempts;
    if (attempts > max) {
      await this.#store.delete(key);
      throw new DomainError(
        'UNAUTHENTICATED',
        'MFA_CHALLENGE_EXHAUSTED',
        'Too many wrong codes; log in again',
      );
    }
    const code = request.code.case === undefined ? '' : request.code.value;
    const ok =
      request.code.case === 'backupCode'
        ? await this.#mfa.spendBackupCode(challenge.accountId, code)
        : await this.#mfa.checkTotp(challenge.accountId, code);
    if (!ok) {
      await this.#audit(
        'account.login.mfa',
        challenge.accountId,
        'FAILURE',
        'MFA_CODE_INVALID',
        request.client,
      );
      if (attempts >= max) await this.#store.delete(key);
      throw new DomainError(
        'UNAUTHENTICATED',
        attempts >= max ? 'MFA_CHALLENGE_EXHAUSTED' : 'MFA_CODE_INVALID',
        attempts >= max
          ? 'Too many wrong codes; log in again'
          : `The code is incorrect; ${max - attempts} attempt(s) left`,
      );
    }
    // First finisher wins: a challenge opens one session even if two replicas race on it.
    if (!(await this.#store.setIfAbsent(`${key}:done`, '1', this.#config.mfaChallenge.ttlMs))) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'MFA_CHALLENGE_EXPIRED',
        'The login challenge was already completed',
      );
    }
    await this.#store.delete(key);
    const account = await this.#accounts.findWithMfa(challenge.accountId);
    if (account === undefined || account.status === 'DELETED') throw invalidCredentials();
    return this.#db.transaction().execute(async (tx) => {
      const method = request.code.case === 'backupCode' ? 'backup_code' : 'totp';
      return { session: await this.#openSession(tx, account, challenge.deviceId, method, request.client) };
    });
  }

  /** A successful login: the session, its event and the login's audit event, in the caller's transaction. */
  async #openSession(
    tx: Executor,
    account: AccountWithMfa,
    deviceId: string | null,
    method: 'password' | 'totp' | 'backup_code',
    client: ClientInfo | undefined,
    deviceEvents: OutboxEventInput[] = [],
    seenDevice?: { readonly ip: string },
  ) {
    const mfaVerified = method !== 'password';
    const session = {
      account,
      mfaEnabled: account.mfa_enabled,
      deviceId,
      mfaVerified,
      client,
      ...(seenDevice === undefined ? {} : { seenDevice }),
      // A password login reserved an attempt on the account (reserveLoginAttempt): released here.
      releasesLoginAttempts: method === 'password',
    };
    return this.#sessions.open(session, tx, (row) => [
      ...deviceEvents,
      auditEvent({
        action: 'account.login',
        actorId: account.id,
        targetType: 'session',
        targetId: row.id,
        result: 'SUCCESS',
        client,
        now: row.created_at,
        metadata: { method },
      }),
    ]);
  }

  async #checkRateLimits(identifier: string, ip: string): Promise<void> {
    const { perIp, perAccount } = this.#config.loginRateLimit;
    const accountKey = createHash('sha256').update(identifier).digest('base64url');
    const decision = await this.#limiter.consume([
      { key: `login:ip:${ip}`, rule: perIp },
      { key: `login:account:${accountKey}`, rule: perAccount },
    ]);
    if (!decision.allowed) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        'RATE_LIMITED',
        'Too many login attempts; wait and try again',
        {
          retryAfterSeconds: decision.retryAfterSeconds,
        },
      );
    }
  }

  /**
   * A wrong password, already counted by its reservation; the one that took the last place locked
   * the account, and says so to the owner.
   */
  async #recordFailure(
    account: AccountForLogin,
    attempt: number,
    now: Date,
    client: ClientInfo | undefined,
  ): Promise<void> {
    const events = [
      auditEvent({
        action: 'account.login',
        actorId: account.id,
        targetType: 'account',
        targetId: account.id,
        result: 'FAILURE',
        reason: 'INVALID_CREDENTIALS',
        client,
        now,
      }),
    ];
    if (attempt >= this.#config.lockout.maxFailures) {
      events.push(
        IdentityEvents.account('locked', { ...account, updated_at: now }, account.mfa_enabled),
        auditEvent({
          action: 'account.lock',
          actorId: account.id,
          targetType: 'account',
          targetId: account.id,
          result: 'SUCCESS',
          reason: 'TOO_MANY_FAILURES',
          client,
          now,
        }),
      );
    }
    await appendEvents(this.#db, events);
  }

  /** Trusted devices skip the TOTP step, for users only: admin and operator sessions always need it. */
  #needsMfa(account: AccountForLogin, deviceTrusted: boolean | null): boolean {
    return account.mfa_enabled && !(account.mode === 'USER' && deviceTrusted === true);
  }

  /** Records the device of a login; its `registered` event is queued by the caller's insert. */
  async #registerDevice(
    account: AccountForLogin,
    fingerprint: string,
    client: ClientInfo | undefined,
    tx: Executor,
  ) {
    if (fingerprint === '') return undefined;
    const userAgent = client?.userAgent ?? '';
    const row = await this.#devices.upsertSeen(
      {
        id: uuidv7(),
        accountId: account.id,
        fingerprint,
        name: (client?.deviceName || userAgent || 'Unknown device').slice(0, 128),
        ip: client?.ipAddress ?? '',
        now: this.#clock.now(),
      },
      tx,
    );
    return { row, events: row.created ? [IdentityEvents.device('registered', row)] : [] };
  }

  async #openChallenge(challenge: Challenge): Promise<string> {
    const challengeId = randomBytes(24).toString('base64url');
    await this.#store.set(
      `mfa:challenge:${challengeId}`,
      JSON.stringify(challenge),
      this.#config.mfaChallenge.ttlMs,
    );
    return challengeId;
  }

  async #audit(
    action: string,
    accountId: string | undefined,
    result: 'FAILURE' | 'DENIED',
    reason: string,
    client: ClientInfo | undefined,
  ): Promise<void> {
    const now = this.#clock.now();
    // One statement, like a wrong password's record: an unknown account must not answer faster.
    await appendEvents(this.#db, [
      auditEvent({
        action,
        ...(accountId === undefined ? {} : { actorId: accountId }),
        targetType: 'account',
        ...(accountId === undefined ? {} : { targetId: accountId }),
        result,
        reason,
        client,
        now,
      }),
    ]);
  }
}

/** The client's device fingerprint, or a hash of its user agent when it sends none. */
function deviceFingerprint(client: ClientInfo | undefined): string {
  const userAgent = client?.userAgent ?? '';
  const given = client?.deviceFingerprint ?? '';
  if (given !== '') return given.slice(0, 128);
  return userAgent === '' ? '' : createHash('sha256').update(userAgent).digest('hex');
}
