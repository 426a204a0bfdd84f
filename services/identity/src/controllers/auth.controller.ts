import {
  type AuthenticateRequest,
  type BeginTotpEnrollmentRequest,
  type ConfirmTotpEnrollmentRequest,
  type DisableMfaRequest,
  IdentityService,
  type RegenerateBackupCodesRequest,
  type VerifyMfaChallengeRequest,
} from '@girok/contracts/identity/v1/identity';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { AuthenticationService } from '../services/authentication.service.ts';
import { MfaService } from '../services/mfa.service.ts';

const rpc = IdentityService.method;

@Controller('v1')
export class AuthController {
  readonly #authentication: AuthenticationService;
  readonly #mfa: MfaService;

  constructor(
    @Inject(AuthenticationService) authentication: AuthenticationService,
    @Inject(MfaService) mfa: MfaService,
  ) {
    this.#authentication = authentication;
    this.#mfa = mfa;
  }

  @RestRpc('POST', 'authenticate', rpc.authenticate, {
    summary: 'Password login: a session or an MFA challenge',
  })
  authenticate(@RpcRequest() request: AuthenticateRequest) {
    return this.#authentication.authenticate(request);
  }

  @RestRpc('POST', 'mfa-challenges/:challengeId', rpc.verifyMfaChallenge, {
    summary: 'Finish a login with a TOTP or backup code',
  })
  verifyChallenge(@RpcRequest() request: VerifyMfaChallengeRequest) {
    return this.#authentication.verifyChallenge(request);
  }

  @RestRpc('POST', 'accounts/:accountId/mfa/totp', rpc.beginTotpEnrollment, {
    summary: 'Start TOTP enrolment',
  })
  beginEnrollment(@RpcRequest() request: BeginTotpEnrollmentRequest) {
    return this.#mfa.beginEnrollment(request);
  }

  @RestRpc('POST', 'accounts/:accountId/mfa/totp/confirm', rpc.confirmTotpEnrollment, {
    summary: 'Confirm TOTP; returns backup codes',
  })
  confirmEnrollment(@RpcRequest() request: ConfirmTotpEnrollmentRequest) {
    return this.#mfa.confirmEnrollment(request);
  }

  @RestRpc('POST', 'accounts/:accountId/mfa/disable', rpc.disableMfa, {
    summary: 'Turn MFA off (users only)',
  })
  disable(@RpcRequest() request: DisableMfaRequest) {
    return this.#mfa.disable(request);
  }

  @RestRpc('POST', 'accounts/:accountId/mfa/backup-codes', rpc.regenerateBackupCodes, {
    summary: 'Replace the backup codes',
  })
  regenerateBackupCodes(@RpcRequest() request: RegenerateBackupCodesRequest) {
    return this.#mfa.regenerateBackupCodes(request);
  }
}
