import { AuthService } from '@girok/contracts/auth/v1/auth';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { OperatorAssignmentService } from '../services/operator-assignment.service.ts';
import { PermissionCheckService } from '../services/permission-check.service.ts';
import { RoleService } from '../services/role.service.ts';
import { SanctionService } from '../services/sanction.service.ts';
import { SigningKeyService } from '../services/signing-key.service.ts';
import { TokenService } from '../services/token.service.ts';

/**
 * `girok.auth.v1.AuthService`: one line per RPC, served by the kit on gRPC and REST alike behind
 * each RPC's access declaration (proto), so a handler only runs for a verified caller and the
 * actor fields it reads name that caller.
 */
@Injectable()
export class AuthGrpcHandlers {
  readonly service = AuthService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof AuthService>>;

  constructor(
    @Inject(TokenService) tokens: TokenService,
    @Inject(SigningKeyService) keys: SigningKeyService,
    @Inject(RoleService) roles: RoleService,
    @Inject(PermissionCheckService) checks: PermissionCheckService,
    @Inject(OperatorAssignmentService) operators: OperatorAssignmentService,
    @Inject(SanctionService) sanctions: SanctionService,
  ) {
    this.handlers = {
      issueAccessToken: (request) => tokens.issue(request),
      getJwks: () => keys.getJwks(),
      listSigningKeys: (request) => keys.list(request),
      rotateSigningKey: (request) => keys.rotate(request),
      retireSigningKey: (request) => keys.retire(request),
      listPermissions: () => roles.listPermissions(),
      createRole: (request) => roles.create(request),
      getRole: (request) => roles.get(request),
      listRoles: (request) => roles.list(request),
      updateRole: (request) => roles.update(request),
      deleteRole: (request) => roles.delete(request),
      assignRole: (request) => roles.assign(request),
      revokeRole: (request) => roles.revoke(request),
      listRoleAssignments: (request) => roles.listAssignments(request),
      checkPermission: (request) => checks.check(request),
      checkPermissions: (request) => checks.checkMany(request),
      createOperatorAssignment: (request) => operators.create(request),
      listOperatorAssignments: (request) => operators.list(request),
      revokeOperatorAssignment: (request) => operators.revoke(request),
      createSanction: (request) => sanctions.create(request),
      listSanctions: (request) => sanctions.list(request),
      revokeSanction: (request) => sanctions.revoke(request),
    };
  }
}
