import {
  type AssignRoleRequest,
  AuthService,
  type CheckPermissionRequest,
  type CheckPermissionsRequest,
  type CreateRoleRequest,
  type DeleteRoleRequest,
  type GetRoleRequest,
  type ListRoleAssignmentsRequest,
  type ListRolesRequest,
  type RevokeRoleRequest,
  type UpdateRoleRequest,
} from '@girok/contracts/auth/v1/auth';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { PermissionCheckService } from '../services/permission-check.service.ts';
import { RoleService } from '../services/role.service.ts';

const rpc = AuthService.method;

@Controller('v1')
export class RolesController {
  readonly #roles: RoleService;
  readonly #checks: PermissionCheckService;

  constructor(
    @Inject(RoleService) roles: RoleService,
    @Inject(PermissionCheckService) checks: PermissionCheckService,
  ) {
    this.#roles = roles;
    this.#checks = checks;
  }

  @RestRpc('GET', 'permissions', rpc.listPermissions, { summary: 'The permission catalogue' })
  listPermissions() {
    return this.#roles.listPermissions();
  }

  @RestRpc('POST', 'roles', rpc.createRole, { status: 201, summary: 'Create a role' })
  create(@RpcRequest() request: CreateRoleRequest) {
    return this.#roles.create(request);
  }

  @RestRpc('GET', 'roles', rpc.listRoles, { summary: 'List roles (keyset paged)' })
  list(@RpcRequest() request: ListRolesRequest) {
    return this.#roles.list(request);
  }

  @RestRpc('GET', 'roles/:roleId', rpc.getRole, { summary: 'Get a role' })
  get(@RpcRequest() request: GetRoleRequest) {
    return this.#roles.get(request);
  }

  @RestRpc('PATCH', 'roles/:roleId', rpc.updateRole, {
    summary: "Change a role's description, level or permissions",
  })
  update(@RpcRequest() request: UpdateRoleRequest) {
    return this.#roles.update(request);
  }

  @RestRpc('DELETE', 'roles/:roleId', rpc.deleteRole, { summary: 'Delete a role nobody holds' })
  delete(@RpcRequest() request: DeleteRoleRequest) {
    return this.#roles.delete(request);
  }

  @RestRpc('POST', 'role-assignments', rpc.assignRole, {
    status: 201,
    summary: 'Assign a role to an account',
  })
  assign(@RpcRequest() request: AssignRoleRequest) {
    return this.#roles.assign(request);
  }

  @RestRpc('GET', 'role-assignments', rpc.listRoleAssignments, { summary: 'List role assignments in force' })
  listAssignments(@RpcRequest() request: ListRoleAssignmentsRequest) {
    return this.#roles.listAssignments(request);
  }

  @RestRpc('DELETE', 'role-assignments/:assignmentId', rpc.revokeRole, {
    summary: 'Revoke a role assignment',
  })
  revoke(@RpcRequest() request: RevokeRoleRequest) {
    return this.#roles.revoke(request);
  }

  @RestRpc('POST', 'accounts/:accountId/permission-check', rpc.checkPermission, {
    summary: 'May this account do this? With the reason',
  })
  check(@RpcRequest() request: CheckPermissionRequest) {
    return this.#checks.check(request);
  }

  @RestRpc('POST', 'accounts/:accountId/permission-checks', rpc.checkPermissions, {
    summary: 'Up to 100 permission checks, answered in order',
  })
  checkMany(@RpcRequest() request: CheckPermissionsRequest) {
    return this.#checks.checkMany(request);
  }
}
