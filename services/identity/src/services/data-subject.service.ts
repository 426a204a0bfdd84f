import { create, type DescMessage, type JsonObject, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import {
  AccountSchema,
  DeviceSchema,
  ProfileSchema,
  SessionSchema,
} from '@girok/contracts/identity/v1/identity';
import type { DsrErasureResult, DsrRequest } from '@girok/kit/dsr';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import { toAccount, toDevice, toProfile, toSession } from '../dtos/identity.dto.ts';
import { AccountRepository } from '../repositories/account.repository.ts';
import { DeviceRepository } from '../repositories/device.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import { MfaRepository } from '../repositories/mfa.repository.ts';
import { ProfileRepository } from '../repositories/profile.repository.ts';
import { SessionRepository } from '../repositories/session.repository.ts';
import { CLOCK, type Clock } from '../tokens.ts';
import { AccountService } from './account.service.ts';
import { auditEvent } from './identity-events.ts';

/** What an erased account leaves behind, for the controller's record of the request. */
const TOMBSTONE_NOTE =
  'A tombstone is kept (account id, status, mode, locale, country and dates; the email and username ' +
  'are replaced) so the id is never reused and other services can match it; sessions keep only ' +
  'their ids, times and revoke reasons.';

/** Proto3 JSON with every field present, also those at their default (false, 0, empty). */
const json = <T extends DescMessage>(schema: T, value: MessageInitShape<T>) =>
  toJson(schema, create(schema, value), { alwaysEmitImplicit: true });

/**
 * identity-service's part in data-subject requests (`@girok/kit/dsr`): erasure is the immediate
 * account deletion, run inside the participant's transaction; access and portability get the
 * account, profile, sessions, devices and whether MFA is enrolled — never a secret, hash or code.
 */
@Injectable()
export class DataSubjectService {
  readonly #accounts: AccountRepository;
  readonly #accountService: AccountService;
  readonly #profiles: ProfileRepository;
  readonly #sessions: SessionRepository;
  readonly #devices: DeviceRepository;
  readonly #mfa: MfaRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(AccountRepository) accounts: AccountRepository,
    @Inject(AccountService) accountService: AccountService,
    @Inject(ProfileRepository) profiles: ProfileRepository,
    @Inject(SessionRepository) sessions: SessionRepository,
    @Inject(DeviceRepository) devices: DeviceRepository,
    @Inject(MfaRepository) mfa: MfaRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#accounts = accounts;
    this.#accountService = accountService;
    this.#profiles = profiles;
    this.#sessions = sessions;
    this.#devices = devices;
    this.#mfa = mfa;
    this.#clock = clock;
  }

  /**
   * The immediate deletion (`AccountService.erase`: sessions revoked, credentials, MFA, devices and
   * profile deleted, tombstone, `account.deleted`), audited with the request id. An account that
   * does not exist or is already erased holds nothing more.
   */
  async erase(tx: Executor, accountId: string, request: DsrRequest): Promise<DsrErasureResult> {
    const account = await this.#accounts.findByIdForUpdate(accountId, tx);
    if (account === undefined) return { outcome: 'NOTHING_HELD' };
    if (account.status === 'DELETED') {
      return { outcome: 'NOTHING_HELD', note: `Already erased. ${TOMBSTONE_NOTE}` };
    }
    await this.#accountService.erase(account, 'ERASURE_REQUESTED', tx);
    await appendEvents(tx, [
      auditEvent({
        action: 'account.delete',
        targetType: 'account',
        targetId: account.id,
        result: 'SUCCESS',
        now: this.#clock.now(),
        metadata: { dsr_request_id: request.requestId, reason: 'DSR_ERASURE' },
      }),
    ]);
    return { outcome: 'ERASED', note: TOMBSTONE_NOTE };
  }

  /** The account's data as a JSON object; undefined when there is no account or only its tombstone. */
  async export(tx: Executor, accountId: string): Promise<JsonObject | undefined> {
    const account = await this.#accounts.findById(accountId, tx);
    if (account === undefined || account.status === 'DELETED') return undefined;
    const profile = await this.#profiles.findByAccount(accountId, tx);
    const sessions = await this.#sessions.listAllByAccount(accountId, tx);
    const devices = await this.#devices.listByAccount(accountId, tx);
    const totp = await this.#mfa.findTotp(accountId, tx);
    const mfaEnabled = totp?.confirmed_at != null;
    return {
      account: json(AccountSchema, toAccount(account, mfaEnabled)),
      loginSecurity: {
        failedLoginCount: account.failed_login_count,
        lockedUntil: account.locked_until?.toISOString() ?? null,
      },
      profile: profile === undefined ? null : json(ProfileSchema, toProfile(profile)),
      sessions: sessions.map((row) => json(SessionSchema, toSession(row))),
      devices: devices.map((row) => json(DeviceSchema, toDevice(row))),
      // Whether and since when, never the TOTP secret or the backup codes.
      mfa: { totpEnrolled: mfaEnabled, totpEnrolledAt: totp?.confirmed_at?.toISOString() ?? null },
    };
  }
}
