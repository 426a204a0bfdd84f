import { IdentityService } from '@girok/contracts/identity/v1/identity';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { AccountService } from '../services/account.service.ts';
import { AuthenticationService } from '../services/authentication.service.ts';
import { DeviceService } from '../services/device.service.ts';
import { MfaService } from '../services/mfa.service.ts';
import { ProfileService } from '../services/profile.service.ts';
import { SessionService } from '../services/session.service.ts';

/**
 * `girok.identity.v1.IdentityService`: one line per RPC, served by the kit on gRPC and REST alike
 * behind each RPC's access declaration (proto), so a handler only runs for a verified caller.
 */
@Injectable()
export class IdentityGrpcHandlers {
  readonly service = IdentityService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof IdentityService>>;

  constructor(
    @Inject(AccountService) accounts: AccountService,
    @Inject(AuthenticationService) authentication: AuthenticationService,
    @Inject(MfaService) mfa: MfaService,
    @Inject(SessionService) sessions: SessionService,
    @Inject(DeviceService) devices: DeviceService,
    @Inject(ProfileService) profiles: ProfileService,
  ) {
    this.handlers = {
      createAccount: (request) => accounts.create(request),
      getAccount: (request) => accounts.get(request),
      listAccounts: (request) => accounts.list(request),
      updateAccount: (request) => accounts.update(request),
      deleteAccount: (request) => accounts.delete(request),
      cancelAccountDeletion: (request) => accounts.cancelDeletion(request),
      authenticate: (request) => authentication.authenticate(request),
      changePassword: (request) => accounts.changePassword(request),
      beginTotpEnrollment: (request) => mfa.beginEnrollment(request),
      confirmTotpEnrollment: (request) => mfa.confirmEnrollment(request),
      disableMfa: (request) => mfa.disable(request),
      regenerateBackupCodes: (request) => mfa.regenerateBackupCodes(request),
      verifyMfaChallenge: (request) => authentication.verifyChallenge(request),
      refreshSession: (request) => sessions.refresh(request),
      validateSession: (request) => sessions.validate(request),
      listSessions: (request) => sessions.list(request),
      revokeSession: (request) => sessions.revokeOne(request),
      revokeAllSessions: (request) => sessions.revokeAll(request),
      listDevices: (request) => devices.list(request),
      trustDevice: (request, call) => devices.trust(request, call.caller),
      revokeDevice: (request) => devices.revoke(request),
      getProfile: (request) => profiles.get(request),
      updateProfile: (request) => profiles.update(request),
    };
  }
}
