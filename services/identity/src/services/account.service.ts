import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfo } from '@girok/contracts/common/v1/common';
import {
  AccountMode,
  type CancelAccountDeletionRequest,
  type CancelAccountDeletionResponseSchema,
  type ChangePasswordRequest,
  type ChangePasswordResponseSchema,
  type CreateAccountRequest,
  type CreateAccountResponseSchema,
  type DeleteAccountRequest,
  type DeleteAccountResponseSchema,
  DeletionMode,
  type GetAccountRequest,
  type GetAccountResponseSchema,
  type ListAccountsRequest,
  type ListAccountsResponseSchema,
  type UpdateAccountRequest,
  type UpdateAccountResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { isUniqueViolation } from '@girok/kit/db';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { IdentityConfig } from '../config.ts';
import { PasswordHasher } from '../crypto/password-hasher.ts';
import { PasswordPolicy } from '../crypto/password-policy.ts';
import { afterIdFrom, modeFromProto, pageToken, statusFromProto, toAccount } from '../dtos/identity.dto.ts';
import { AccountRepository, type AccountRow } from '../repositories/account.repository.ts';
import { CredentialRepository } from '../repositories/credential.repository.ts';
import { DeviceRepository } from '../repositories/device.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import { MfaRepository } from '../repositories/mfa.repository.ts';
import { ProfileRepository } from '../repositories/profile.repository.ts';
import { SessionRepository } from '../repositories/session.repository.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.ts';
import { accountAudit, auditEvent, IdentityEvents } from './identity-events.ts';
import { SessionService } from './session.service.ts';
import {
  checkCountry,
  checkEmail,
  checkLocale,
  checkUsername,
  normaliseEmail,
  normaliseIdentifier,
  normaliseUsername,
  pageSize,
  requireIds,
  usernameSkeleton,
} from './validation.ts';

/** New passwords may not repeat the current one or the four before it. */
const PASSWORD_HISTORY = 5;

const notFound = () => new DomainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'No such account');

const usernameTaken = () =>
  new DomainError('CONFLICT', 'USERNAME_TAKEN', 'This username is taken', {
    fieldViolations: [{ field: 'username', description: 'is already taken' }],
  });

/** A username (or a look-alike of it) already in use, as the conflict a client can act on. */
function takenOrOriginal(error: unknown): unknown {
  if (
    isUniqueViolation(error, 'accounts_username_key') ||
    isUniqueViolation(error, 'accounts_username_skeleton_key')
  ) {
    return usernameTaken();
  }
  return error;
}

/** An account row to insert, with the skeleton only the unique index reads. */
type NewAccount = AccountRow & { readonly username_skeleton: string };

/** Accounts: creation, reads, changes, passwords and deletion (immediate or after a grace period). */
@Injectable()
export class AccountService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #accounts: AccountRepository;
  readonly #credentials: CredentialRepository;
  readonly #profiles: ProfileRepository;
  readonly #mfa: MfaRepository;
  readonly #devices: DeviceRepository;
  readonly #sessions: SessionService;
  readonly #sessionRows: SessionRepository;
  readonly #hasher: PasswordHasher;
  readonly #policy: PasswordPolicy;
  readonly #config: IdentityConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(AccountRepository) accounts: AccountRepository,
    @Inject(CredentialRepository) credentials: CredentialRepository,
    @Inject(ProfileRepository) profiles: ProfileRepository,
    @Inject(MfaRepository) mfa: MfaRepository,
    @Inject(DeviceRepository) devices: DeviceRepository,
    @Inject(SessionService) sessions: SessionService,
    @Inject(SessionRepository) sessionRows: SessionRepository,
    @Inject(PasswordHasher) hasher: PasswordHasher,
    @Inject(PasswordPolicy) policy: PasswordPolicy,
    @Inject(CONFIG) config: IdentityConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#accounts = accounts;
    this.#credentials = credentials;
    this.#profiles = profiles;
    this.#mfa = mfa;
    this.#devices = devices;
    this.#sessions = sessions;
    this.#sessionRows = sessionRows;
    this.#hasher = hasher;
    this.#policy = policy;
    this.#config = config;
    this.#clock = clock;
  }

  async create(request: CreateAccountRequest): Promise<MessageInitShape<typeof CreateAccountResponseSchema>> {
    const email = normaliseEmail(request.email);
    const username = normaliseUsername(request.username);
    const mode = request.mode === AccountMode.UNSPECIFIED ? 'USER' : modeFromProto(request.mode);
    const v = new Violations();
    checkEmail(v, 'email', email);
    checkUsername(v, 'username', username);
    checkLocale(v, 'locale', request.locale);
    checkCountry(v, 'country', request.country);
    v.check(mode !== undefined, 'mode', 'must be USER, ADMIN or OPERATOR');
    v.check(request.displayName.length <= 64, 'display_name', 'must be at most 64 characters');
    for (const violation of this.#policy.check({
      password: request.password,
      mode: mode ?? 'USER',
      email,
      username,
    })) {
      v.add(violation.field, violation.description);
    }
    v.throwIfAny();

    const passwordHash = await this.#hasher.hash(request.password);
    const now = this.#clock.now();
    const row: NewAccount = {
      id: uuidv7(),
      email,
      username,
      username_skeleton: usernameSkeleton(username),
      status: 'ACTIVE',
      mode: mode ?? 'USER',
      locale: request.locale,
      country: request.country,
      failed_login_count: 0,
      locked_until: null,
      created_at: now,
      updated_at: now,
      deletion_scheduled_at: null,
      deleted_at: null,
    };
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const account = await this.#accounts.insertIfEmailFree(row, tx);
        if (account === undefined) return this.#signUpWithTakenEmail(row, request.client, tx);
        await this.#credentials.insert(account.id, passwordHash, now, tx);
        const profile = await this.#profiles.insert(
          {
            account_id: account.id,
            display_name: request.displayName || username,
            avatar_url: '',
            bio: '',
            birth_date: '',
            phone_number: '',
            updated_at: now,
          },
          tx,
        );
        await appendEvents(tx, [
          IdentityEvents.account('created', account, false),
          IdentityEvents.profile('created', profile),
          accountAudit('account.create', account.id, now, request.client, { mode: account.mode }),
        ]);
        return { account: toAccount(account, false) };
      });
    } catch (error) {
      throw takenOrOriginal(error);
    }
  }

  /**
   * A sign-up with an email that already has an account answers as if it had created one (same
   * shape, same statements), so sign-up never tells who has an account here: nothing is created,
   * and the owner is told by `account.signup_attempted`. The answer carries an id no account has.
   * A taken username is still refused, exactly as it would be with a free email, or the pair
   * (someone's email, a known username) would tell the two cases apart.
   */
  async #signUpWithTakenEmail(
    row: NewAccount,
    client: ClientInfo | undefined,
    tx: Executor,
  ): Promise<MessageInitShape<typeof CreateAccountResponseSchema>> {
    const owner = await this.#accounts.findByEmailWithMfa(row.email, tx);
    if (await this.#accounts.isUsernameTaken(row.username, row.username_skeleton, tx)) {
      throw usernameTaken();
    }
    if (owner !== undefined) {
      await appendEvents(tx, [
        IdentityEvents.account('signup_attempted', owner, owner.mfa_enabled),
        auditEvent({
          action: 'account.create',
          targetType: 'account',
          targetId: owner.id,
          result: 'DENIED',
          reason: 'EMAIL_TAKEN',
          client,
          now: row.created_at,
        }),
      ]);
    }
    return { account: toAccount(row, false) };
  }

  async get(request: GetAccountRequest): Promise<MessageInitShape<typeof GetAccountResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const account = await this.#accounts.findWithMfa(request.accountId);
    if (account === undefined) throw notFound();
    return { account: toAccount(account, account.mfa_enabled) };
  }

  async list(request: ListAccountsRequest): Promise<MessageInitShape<typeof ListAccountsResponseSchema>> {
    const limit = pageSize(request.page?.pageSize);
    const mode = request.mode === AccountMode.UNSPECIFIED ? undefined : modeFromProto(request.mode);
    const status = request.status === 0 ? undefined : statusFromProto(request.status);
    const afterId = afterIdFrom(request.page?.pageToken ?? '');
    const v = new Violations();
    v.check(request.query.length <= 254, 'query', 'must be at most 254 characters');
    v.check(
      afterId === undefined || /^[0-9a-f-]{36}$/.test(afterId),
      'page.page_token',
      'is not a token from a previous page',
    );
    v.throwIfAny();
    const rows = await this.#accounts.list({
      limit: limit + 1,
      query: normaliseIdentifier(request.query),
      ...(mode === undefined ? {} : { mode }),
      ...(status === undefined ? {} : { status }),
      ...(afterId === undefined ? {} : { afterId }),
    });
    const page = rows.slice(0, limit);
    const mfa = await Promise.all(page.map((row) => this.#mfa.findTotp(row.id)));
    return {
      accounts: page.map((row, i) => toAccount(row, mfa[i]?.confirmed_at != null)),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  async update(request: UpdateAccountRequest): Promise<MessageInitShape<typeof UpdateAccountResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const username = request.username === undefined ? undefined : normaliseUsername(request.username);
    const v = new Violations();
    if (username !== undefined) checkUsername(v, 'username', username);
    if (request.locale !== undefined) checkLocale(v, 'locale', request.locale);
    if (request.country !== undefined) checkCountry(v, 'country', request.country);
    v.throwIfAny();
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const now = this.#clock.now();
        const current = await this.#accounts.findByIdForUpdate(request.accountId, tx);
        if (current === undefined || current.status === 'DELETED') throw notFound();
        const account = await this.#accounts.update(
          request.accountId,
          {
            updated_at: now,
            ...(username === undefined ? {} : { username, username_skeleton: usernameSkeleton(username) }),
            ...(request.locale === undefined ? {} : { locale: request.locale }),
            ...(request.country === undefined ? {} : { country: request.country }),
          },
          tx,
        );
        if (account === undefined) throw notFound();
        const mfaEnabled = (await this.#mfa.findTotp(account.id, tx))?.confirmed_at != null;
        await appendEvents(tx, [IdentityEvents.account('updated', account, mfaEnabled)]);
        return { account: toAccount(account, mfaEnabled) };
      });
    } catch (error) {
      throw takenOrOriginal(error);
    }
  }

  async changePassword(
    request: ChangePasswordRequest,
  ): Promise<MessageInitShape<typeof ChangePasswordResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const account = await this.#accounts.findById(request.accountId);
    if (account === undefined || account.status === 'DELETED') throw notFound();
    const v = new Violations();
    v.check(request.currentPassword !== '', 'current_password', 'is required');
    for (const violation of this.#policy.check({
      password: request.newPassword,
      mode: account.mode,
      email: account.email,
      username: account.username,
    })) {
      v.add('new_password', violation.description);
    }
    v.throwIfAny();
    const recent = await this.#credentials.recentHashes(account.id, PASSWORD_HISTORY);
    const [current] = recent;
    if (current === undefined || !(await this.#hasher.verify(current, request.currentPassword))) {
      throw new DomainError('UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'The current password is incorrect');
    }
    for (const old of recent) {
      if (await this.#hasher.verify(old, request.newPassword)) {
        throw new DomainError(
          'INVALID_ARGUMENT',
          'PASSWORD_REUSED',
          'Choose a password you have not used recently',
          {
            fieldViolations: [
              {
                field: 'new_password',
                description: `must differ from the last ${PASSWORD_HISTORY} passwords`,
              },
            ],
          },
        );
      }
    }
    const newHash = await this.#hasher.hash(request.newPassword);
    const revoked = await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      await this.#credentials.replace(account.id, newHash, PASSWORD_HISTORY, now, tx);
      const updated = await this.#accounts.update(account.id, { updated_at: now }, tx);
      const mfaEnabled = (await this.#mfa.findTotp(account.id, tx))?.confirmed_at != null;
      if (updated !== undefined) {
        await appendEvents(tx, [
          IdentityEvents.account('password_changed', updated, mfaEnabled),
          accountAudit('account.password.change', account.id, now, request.client),
        ]);
      }
      return this.#sessions.revokeIn(
        tx,
        { accountId: account.id, exceptSessionId: request.keepSessionId },
        'PASSWORD_CHANGED',
        request.client,
      );
    });
    return { revokedSessions: revoked };
  }

  async delete(request: DeleteAccountRequest): Promise<MessageInitShape<typeof DeleteAccountResponseSchema>> {
    requireIds({ account_id: request.accountId });
    new Violations()
      .check(
        request.mode === DeletionMode.IMMEDIATE || request.mode === DeletionMode.SCHEDULED,
        'mode',
        'must be DELETION_MODE_IMMEDIATE or DELETION_MODE_SCHEDULED',
      )
      .check(request.reason.length <= 500, 'reason', 'must be at most 500 characters')
      .throwIfAny();
    return this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const account = await this.#accounts.findByIdForUpdate(request.accountId, tx);
      if (account === undefined || account.status === 'DELETED') throw notFound();
      const deleted =
        request.mode === DeletionMode.IMMEDIATE
          ? await this.erase(account, 'DELETED_BY_REQUEST', tx)
          : await this.#schedule(account, tx);
      await appendEvents(tx, [
        auditEvent({
          action: request.mode === DeletionMode.IMMEDIATE ? 'account.delete' : 'account.delete.schedule',
          actorId: account.id,
          targetType: 'account',
          targetId: account.id,
          result: 'SUCCESS',
          client: request.client,
          now,
          ...(request.reason === '' ? {} : { metadata: { reason: request.reason } }),
        }),
      ]);
      return { account: toAccount(deleted, false) };
    });
  }

  async cancelDeletion(
    request: CancelAccountDeletionRequest,
  ): Promise<MessageInitShape<typeof CancelAccountDeletionResponseSchema>> {
    requireIds({ account_id: request.accountId });
    return this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const account = await this.#accounts.findByIdForUpdate(request.accountId, tx);
      if (account === undefined || account.status === 'DELETED') throw notFound();
      assertThat(
        account.status === 'PENDING_DELETION',
        'FAILED_PRECONDITION',
        'DELETION_NOT_SCHEDULED',
        'The account is not scheduled for deletion',
      );
      const restored = await this.#accounts.update(
        account.id,
        { status: 'ACTIVE', deletion_scheduled_at: null, updated_at: now },
        tx,
      );
      if (restored === undefined) throw notFound();
      const mfaEnabled = (await this.#mfa.findTotp(account.id, tx))?.confirmed_at != null;
      await appendEvents(tx, [
        IdentityEvents.account('deletion_cancelled', restored, mfaEnabled),
        accountAudit('account.delete.cancel', account.id, now, undefined),
      ]);
      return { account: toAccount(restored, mfaEnabled) };
    });
  }

  /** Erases accounts whose grace period is over; safe to run on every replica at once. */
  async sweepDueDeletions(batch = 50): Promise<number> {
    return this.#db.transaction().execute(async (tx) => {
      const due = await this.#accounts.lockDueForDeletion(this.#clock.now(), batch, tx);
      for (const account of due) await this.erase(account, 'GRACE_PERIOD_ENDED', tx);
      return due.length;
    });
  }

  async #schedule(account: AccountRow, tx: Executor): Promise<AccountRow> {
    const now = this.#clock.now();
    const scheduled = await this.#accounts.update(
      account.id,
      {
        status: 'PENDING_DELETION',
        deletion_scheduled_at: new Date(now.getTime() + this.#config.deletionGraceMs),
        updated_at: now,
      },
      tx,
    );
    if (scheduled === undefined) throw notFound();
    await this.#sessions.revokeIn(tx, { accountId: account.id }, 'ACCOUNT_DELETION_SCHEDULED', undefined);
    await appendEvents(tx, [IdentityEvents.account('deletion_scheduled', scheduled, false)]);
    return scheduled;
  }

  /**
   * Erases personal data and keeps a tombstone row (id, status, dates) so other services can
   * match the account.deleted event to what they hold, and ids are never reused. Sessions are
   * revoked and keep only their ids and times (no IP address, user agent or refresh token).
   */
  async erase(account: AccountRow, reason: string, tx: Executor): Promise<AccountRow> {
    const now = this.#clock.now();
    await this.#sessions.revokeIn(tx, { accountId: account.id }, reason, undefined);
    await this.#sessionRows.eraseClientData(account.id, tx);
    await this.#credentials.deleteAll(account.id, tx);
    await this.#mfa.deleteAll(account.id, tx);
    await this.#devices.deleteAll(account.id, tx);
    await this.#profiles.delete(account.id, tx);
    const erased = await this.#accounts.update(
      account.id,
      {
        status: 'DELETED',
        email: `deleted+${account.id}@deleted.invalid`,
        username: `deleted-${account.id}`,
        username_skeleton: null,
        deleted_at: now,
        deletion_scheduled_at: null,
        updated_at: now,
      },
      tx,
    );
    if (erased === undefined) throw notFound();
    await appendEvents(tx, [IdentityEvents.account('deleted', erased, false)]);
    return erased;
  }
}
