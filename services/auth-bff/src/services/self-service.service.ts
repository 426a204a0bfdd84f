import type { Account, Device, Session } from '@girok/contracts/identity/v1/identity';
import { DomainError } from '@girok/kit/errors';
import { Inject, Injectable } from '@nestjs/common';
import { BrowserSessionRepository } from '../repositories/browser-session.repository.ts';
import { IDENTITY, type IdentityClient } from '../tokens.ts';
import { clearSessionCookies, clientInfo } from '../web/cookies.ts';
import type { Caller, Exchange } from './browser-session.service.ts';
import { bearer } from './legal-flows.service.ts';

/**
 * What a signed-in user does to their own account: read it, see and end their sessions and
 * devices, change the password, manage MFA. Always for the caller's own account id, never one
 * taken from the request, and with the caller's own access token, so identity-service checks the
 * same thing again. Reading the account and enrolling TOTP go as the BFF's workload instead: an
 * admin who has not enrolled MFA yet has a restricted session with no access token.
 */
@Injectable()
export class SelfService {
  readonly #identity: IdentityClient;
  readonly #sessions: BrowserSessionRepository;

  constructor(
    @Inject(IDENTITY) identity: IdentityClient,
    @Inject(BrowserSessionRepository) sessions: BrowserSessionRepository,
  ) {
    this.#identity = identity;
    this.#sessions = sessions;
  }

  async account(caller: Caller): Promise<Account> {
    const { account } = await this.#identity.getAccount({ accountId: caller.session.accountId });
    if (account === undefined)
      throw new DomainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'The account no longer exists');
    return account;
  }

  async sessions(caller: Caller): Promise<Session[]> {
    const { sessions } = await this.#identity.listSessions(
      {
        accountId: caller.session.accountId,
        page: { pageSize: 100 },
      },
      { metadata: bearer(caller) },
    );
    return sessions;
  }

  async revokeSession(caller: Caller, sessionId: string, exchange: Exchange): Promise<void> {
    await this.#identity.revokeSession(
      {
        accountId: caller.session.accountId,
        sessionId,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    await this.#sessions.deleteBySessionId(sessionId);
    if (sessionId === caller.session.sessionId) clearSessionCookies(exchange.reply);
  }

  async revokeOtherSessions(caller: Caller, exchange: Exchange): Promise<number> {
    const { revokedSessions } = await this.#identity.revokeAllSessions(
      {
        accountId: caller.session.accountId,
        exceptSessionId: caller.session.sessionId,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    return revokedSessions;
  }

  async devices(caller: Caller): Promise<Device[]> {
    const { devices } = await this.#identity.listDevices({ accountId: caller.session.accountId });
    return devices;
  }

  async trustDevice(caller: Caller, deviceId: string, trusted: boolean): Promise<Device> {
    const { device } = await this.#identity.trustDevice(
      {
        accountId: caller.session.accountId,
        deviceId,
        trusted,
      },
      { metadata: bearer(caller) },
    );
    if (device === undefined) throw new DomainError('NOT_FOUND', 'DEVICE_NOT_FOUND', 'No such device');
    return device;
  }

  async revokeDevice(caller: Caller, deviceId: string, exchange: Exchange): Promise<number> {
    const { revokedSessions } = await this.#identity.revokeDevice(
      {
        accountId: caller.session.accountId,
        deviceId,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    return revokedSessions;
  }

  /** Every other session ends; this one stays. */
  async changePassword(
    caller: Caller,
    input: { currentPassword: string; newPassword: string },
    exchange: Exchange,
  ): Promise<number> {
    const { revokedSessions } = await this.#identity.changePassword(
      {
        accountId: caller.session.accountId,
        ...input,
        keepSessionId: caller.session.sessionId,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    return revokedSessions;
  }

  async beginTotpEnrollment(caller: Caller): Promise<{ secret: string; provisioningUri: string }> {
    return this.#identity.beginTotpEnrollment({ accountId: caller.session.accountId });
  }

  async confirmTotpEnrollment(caller: Caller, code: string, exchange: Exchange): Promise<string[]> {
    const { backupCodes } = await this.#identity.confirmTotpEnrollment(
      {
        accountId: caller.session.accountId,
        code,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    return backupCodes;
  }

  async regenerateBackupCodes(caller: Caller, code: string, exchange: Exchange): Promise<string[]> {
    const { backupCodes } = await this.#identity.regenerateBackupCodes(
      {
        accountId: caller.session.accountId,
        code,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
    return backupCodes;
  }

  async disableMfa(caller: Caller, code: string, exchange: Exchange): Promise<void> {
    await this.#identity.disableMfa(
      {
        accountId: caller.session.accountId,
        code,
        client: clientInfo(exchange.req, exchange.reply),
      },
      { metadata: bearer(caller) },
    );
  }
}
