import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  BeginTotpEnrollmentRequest,
  BeginTotpEnrollmentResponseSchema,
  ConfirmTotpEnrollmentRequest,
  ConfirmTotpEnrollmentResponseSchema,
  DisableMfaRequest,
  DisableMfaResponseSchema,
  RegenerateBackupCodesRequest,
  RegenerateBackupCodesResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { assertThat, DomainError } from '@girok/kit/errors';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { IdentityConfig } from '../config.ts';
import { BackupCodeHasher, generateBackupCodes } from '../crypto/opaque-secrets.ts';
import { base32Encode, generateSecret, provisioningUri, verify as verifyTotp } from '../crypto/totp.ts';
import { AccountRepository } from '../repositories/account.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import { MfaRepository } from '../repositories/mfa.repository.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.ts';
import { accountAudit, auditEvent, IdentityEvents } from './identity-events.ts';
import { requireIds } from './validation.ts';

const invalidCode = () =>
  new DomainError('UNAUTHENTICATED', 'MFA_CODE_INVALID', 'The code is incorrect or already used');

/** TOTP enrolment and verification, and the ten one-time backup codes. */
@Injectable()
export class MfaService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #mfa: MfaRepository;
  readonly #accounts: AccountRepository;
  readonly #backupCodes: BackupCodeHasher;
  readonly #config: IdentityConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(MfaRepository) mfa: MfaRepository,
    @Inject(AccountRepository) accounts: AccountRepository,
    @Inject(BackupCodeHasher) backupCodes: BackupCodeHasher,
    @Inject(CONFIG) config: IdentityConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#mfa = mfa;
    this.#accounts = accounts;
    this.#backupCodes = backupCodes;
    this.#config = config;
    this.#clock = clock;
  }

  async beginEnrollment(
    request: BeginTotpEnrollmentRequest,
  ): Promise<MessageInitShape<typeof BeginTotpEnrollmentResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const account = await this.#accounts.findById(request.accountId);
    assertThat(account && account.status !== 'DELETED', 'NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'No such account');
    const secret = generateSecret();
    const stored = await this.#mfa.upsertPendingTotp(
      account.id,
      this.#config.keyRing.encrypt(secret, account.id),
      this.#clock.now(),
    );
    assertThat(
      stored,
      'FAILED_PRECONDITION',
      'MFA_ALREADY_ENABLED',
      'MFA is already enabled; disable it first to re-enrol',
    );
    return {
      secret: base32Encode(secret),
      provisioningUri: provisioningUri({
        issuer: this.#config.totpIssuer,
        accountName: account.email,
        secret,
      }),
    };
  }

  async confirmEnrollment(
    request: ConfirmTotpEnrollmentRequest,
  ): Promise<MessageInitShape<typeof ConfirmTotpEnrollmentResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const totp = await this.#mfa.findTotp(request.accountId);
    assertThat(totp, 'FAILED_PRECONDITION', 'MFA_ENROLLMENT_NOT_STARTED', 'Call BeginTotpEnrollment first');
    assertThat(
      totp.confirmed_at === null,
      'FAILED_PRECONDITION',
      'MFA_ALREADY_ENABLED',
      'MFA is already enabled',
    );
    const secret = this.#config.keyRing.decrypt(totp.secret_encrypted, totp.account_id);
    const step = verifyTotp(secret, request.code, this.#clock.now().getTime());
    if (step === null) throw invalidCode();
    const codes = generateBackupCodes();
    await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      assertThat(
        await this.#mfa.confirmTotp(totp.account_id, step, now, tx),
        'FAILED_PRECONDITION',
        'MFA_ALREADY_ENABLED',
        'MFA is already enabled',
      );
      await this.#mfa.replaceBackupCodes(totp.account_id, this.#hashAll(codes), now, tx);
      await this.#accountChanged(tx, totp.account_id, 'mfa_enabled', true, 'mfa.enroll', request.client);
    });
    return { backupCodes: codes };
  }

  async disable(request: DisableMfaRequest): Promise<MessageInitShape<typeof DisableMfaResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const account = await this.#accounts.findById(request.accountId);
    assertThat(account, 'NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'No such account');
    assertThat(
      account.mode === 'USER',
      'FAILED_PRECONDITION',
      'MFA_REQUIRED',
      'Administrator and operator accounts must keep MFA',
    );
    const ok =
      (await this.checkTotp(account.id, request.code)) ||
      (await this.spendBackupCode(account.id, request.code));
    if (!ok) throw invalidCode();
    await this.#db.transaction().execute(async (tx) => {
      await this.#mfa.deleteAll(account.id, tx);
      await this.#accountChanged(tx, account.id, 'mfa_disabled', false, 'mfa.disable', request.client);
    });
    return {};
  }

  async regenerateBackupCodes(
    request: RegenerateBackupCodesRequest,
  ): Promise<MessageInitShape<typeof RegenerateBackupCodesResponseSchema>> {
    requireIds({ account_id: request.accountId });
    if (!(await this.checkTotp(request.accountId, request.code))) throw invalidCode();
    const codes = generateBackupCodes();
    await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      await this.#mfa.replaceBackupCodes(request.accountId, this.#hashAll(codes), now, tx);
      await appendEvents(tx, [
        accountAudit('mfa.backup_codes.regenerate', request.accountId, now, request.client),
      ]);
    });
    return { backupCodes: codes };
  }

  /** True when the code is a current TOTP code not used before; spends its time step. */
  async checkTotp(accountId: string, code: string): Promise<boolean> {
    const totp = await this.#mfa.findTotp(accountId);
    if (totp === undefined || totp.confirmed_at === null) return false;
    const secret = this.#config.keyRing.decrypt(totp.secret_encrypted, accountId);
    const step = verifyTotp(secret, code, this.#clock.now().getTime(), {
      ...(totp.last_used_step === null ? {} : { afterStep: totp.last_used_step }),
    });
    if (step === null || !(await this.#mfa.useStep(accountId, step))) return false;
    if (this.#config.keyRing.needsRotation(totp.secret_encrypted)) {
      // Re-encrypt under the active key while the plaintext is at hand, so old keys can retire.
      await this.#mfa.reencrypt(accountId, this.#config.keyRing.encrypt(secret, accountId));
    }
    return true;
  }

  /** True when the code is one of the account's unused backup codes; it cannot be used again. */
  async spendBackupCode(accountId: string, code: string): Promise<boolean> {
    const hash = this.#backupCodes.hash(code);
    return hash !== null && this.#mfa.useBackupCode(accountId, hash, this.#clock.now());
  }

  #hashAll(codes: readonly string[]): string[] {
    return codes.map((code) => this.#backupCodes.hash(code) ?? '');
  }

  async #accountChanged(
    tx: Executor,
    accountId: string,
    change: string,
    mfaEnabled: boolean,
    action: string,
    client: DisableMfaRequest['client'],
  ): Promise<void> {
    const now = this.#clock.now();
    const account = await this.#accounts.update(accountId, { updated_at: now }, tx);
    if (account === undefined) return;
    await appendEvents(tx, [
      IdentityEvents.account(change, account, mfaEnabled),
      auditEvent({
        action,
        actorId: accountId,
        targetType: 'account',
        targetId: accountId,
        result: 'SUCCESS',
        client,
        now,
      }),
    ]);
  }
}
