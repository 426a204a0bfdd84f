import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  AssignRoleRequest,
  AssignRoleResponseSchema,
  CreateRoleRequest,
  CreateRoleResponseSchema,
  DeleteRoleRequest,
  DeleteRoleResponseSchema,
  GetRoleRequest,
  GetRoleResponseSchema,
  ListPermissionsResponseSchema,
  ListRoleAssignmentsRequest,
  ListRoleAssignmentsResponseSchema,
  ListRolesRequest,
  ListRolesResponseSchema,
  RevokeRoleRequest,
  RevokeRoleResponseSchema,
  UpdateRoleRequest,
  UpdateRoleResponseSchema,
} from '@girok/contracts/auth/v1/auth';
import { isUniqueViolation } from '@girok/kit/db';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Updateable } from 'kysely';
import { scopeFromProto, toRole, toRoleAssignment } from '../dtos/auth.dto.ts';
import { RoleRepository, type RoleRow } from '../repositories/role.repository.ts';
import { RoleAssignmentRepository } from '../repositories/role-assignment.repository.ts';
import type { AuthDatabase, RolesTable } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { AuthEvents, auditEvent } from './auth-events.ts';
import { checkPermissionList } from './permission-rules.ts';
import {
  afterIdFrom,
  checkId,
  checkOptionalId,
  checkService,
  optionalDate,
  pageSize,
  pageToken,
  requireIds,
} from './validation.ts';

const ROLE_NAME = /^[a-z][a-z0-9_]{1,63}$/;
const MAX_PERMISSIONS = 100;

const roleNotFound = () => new DomainError('NOT_FOUND', 'ROLE_NOT_FOUND', 'No such role');

function checkLevel(v: Violations, level: number): void {
  v.check(Number.isInteger(level) && level >= 1 && level <= 100, 'level', 'must be an integer from 1 to 100');
}

function checkDescription(v: Violations, description: string): void {
  v.check(description.length <= 500, 'description', 'must be at most 500 characters');
}

/**
 * Roles (levels, scopes, permission patterns over the catalogue) and their assignments. An actor
 * may assign or revoke only roles strictly below their own highest level; system roles stay.
 */
@Injectable()
export class RoleService {
  readonly #db: Kysely<AuthDatabase>;
  readonly #roles: RoleRepository;
  readonly #assignments: RoleAssignmentRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<AuthDatabase>,
    @Inject(RoleRepository) roles: RoleRepository,
    @Inject(RoleAssignmentRepository) assignments: RoleAssignmentRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#roles = roles;
    this.#assignments = assignments;
    this.#clock = clock;
  }

  async listPermissions(): Promise<MessageInitShape<typeof ListPermissionsResponseSchema>> {
    return { permissions: await this.#roles.listPermissions() };
  }

  async create(request: CreateRoleRequest): Promise<MessageInitShape<typeof CreateRoleResponseSchema>> {
    const scope = scopeFromProto(request.scope);
    const v = new Violations();
    v.check(ROLE_NAME.test(request.name), 'name', 'must be 2-64 of a-z 0-9 _ starting with a letter');
    checkDescription(v, request.description);
    checkLevel(v, request.level);
    v.check(scope !== undefined, 'scope', 'must be ROLE_SCOPE_PLATFORM or ROLE_SCOPE_SERVICE');
    const permissions = checkPermissionList(v, 'permissions', request.permissions, {
      catalogue: await this.#roles.catalogue(),
      min: 0,
      max: MAX_PERMISSIONS,
    });
    checkOptionalId(v, 'actor_id', request.actorId);
    v.throwIfAny();
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const role = await this.#roles.insert(
          {
            id: uuidv7(),
            name: request.name,
            description: request.description,
            level: request.level,
            scope: scope ?? 'PLATFORM',
            permissions,
            created_at: now,
            updated_at: now,
          },
          tx,
        );
        await appendEvents(tx, [
          AuthEvents.role('created', role),
          this.#roleAudit('role.create', role, request.actorId, now),
        ]);
        return { role: toRole(role) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'roles_name_key')) {
        throw new DomainError('CONFLICT', 'ROLE_NAME_TAKEN', 'A role with this name already exists', {
          fieldViolations: [{ field: 'name', description: 'is already taken' }],
        });
      }
      throw error;
    }
  }

  async get(request: GetRoleRequest): Promise<MessageInitShape<typeof GetRoleResponseSchema>> {
    requireIds({ role_id: request.roleId });
    const role = await this.#roles.findById(request.roleId);
    if (role === undefined) throw roleNotFound();
    return { role: toRole(role) };
  }

  async list(request: ListRolesRequest): Promise<MessageInitShape<typeof ListRolesResponseSchema>> {
    const v = new Violations();
    const afterId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#roles.list({ limit: limit + 1, ...(afterId === undefined ? {} : { afterId }) });
    const page = rows.slice(0, limit);
    return {
      roles: page.map(toRole),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  async update(request: UpdateRoleRequest): Promise<MessageInitShape<typeof UpdateRoleResponseSchema>> {
    const v = new Violations();
    checkId(v, 'role_id', request.roleId);
    checkOptionalId(v, 'actor_id', request.actorId);
    if (request.description !== undefined) checkDescription(v, request.description);
    if (request.level !== undefined) checkLevel(v, request.level);
    let permissions: string[] | undefined;
    if (request.updatePermissions) {
      permissions = checkPermissionList(v, 'permissions', request.permissions, {
        catalogue: await this.#roles.catalogue(),
        min: 0,
        max: MAX_PERMISSIONS,
      });
    } else {
      v.check(
        request.permissions.length === 0,
        'permissions',
        'set update_permissions to replace the permission set',
      );
    }
    v.throwIfAny();
    return this.#db.transaction().execute(async (tx) => {
      const role = await this.#roles.findByIdForUpdate(request.roleId, tx);
      if (role === undefined) throw roleNotFound();
      const changes: Updateable<RolesTable> = {};
      if (request.description !== undefined && request.description !== role.description) {
        changes.description = request.description;
      }
      if (request.level !== undefined && request.level !== role.level) changes.level = request.level;
      if (permissions !== undefined && permissions.join(' ') !== [...role.permissions].sort().join(' ')) {
        changes.permissions = permissions;
      }
      assertThat(
        !role.system || (changes.level === undefined && changes.permissions === undefined),
        'FAILED_PRECONDITION',
        'SYSTEM_ROLE_IMMUTABLE',
        `${role.name} is a system role: its level and permissions are fixed (create a role of your own instead)`,
      );
      if (Object.keys(changes).length === 0) return { role: toRole(role) };
      const now = this.#clock.now();
      const updated = await this.#roles.update(role.id, { ...changes, updated_at: now }, tx);
      if (updated === undefined) throw roleNotFound();
      await appendEvents(tx, [
        AuthEvents.role('updated', updated),
        this.#roleAudit('role.update', updated, request.actorId, now, {
          changed: Object.keys(changes).join(','),
        }),
      ]);
      return { role: toRole(updated) };
    });
  }

  async delete(request: DeleteRoleRequest): Promise<MessageInitShape<typeof DeleteRoleResponseSchema>> {
    requireIds({ role_id: request.roleId }, { actor_id: request.actorId });
    await this.#db.transaction().execute(async (tx) => {
      const role = await this.#roles.findByIdForUpdate(request.roleId, tx);
      if (role === undefined) throw roleNotFound();
      assertThat(
        !role.system,
        'FAILED_PRECONDITION',
        'SYSTEM_ROLE_PROTECTED',
        `${role.name} is a system role and cannot be deleted`,
      );
      const now = this.#clock.now();
      const live = await this.#assignments.countLiveForRole(role.id, now, tx);
      assertThat(
        live === 0,
        'FAILED_PRECONDITION',
        'ROLE_IN_USE',
        `${role.name} is assigned to ${live} account(s); revoke those assignments first`,
      );
      await this.#roles.delete(role.id, tx);
      await appendEvents(tx, [
        AuthEvents.role('deleted', role),
        this.#roleAudit('role.delete', role, request.actorId, now),
      ]);
    });
    return {};
  }

  async assign(request: AssignRoleRequest): Promise<MessageInitShape<typeof AssignRoleResponseSchema>> {
    const now = this.#clock.now();
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    checkId(v, 'role_id', request.roleId);
    checkOptionalId(v, 'actor_id', request.actorId);
    if (request.service !== '') checkService(v, 'service', request.service);
    const expiresAt = optionalDate(v, 'expires_at', request.expiresAt);
    if (expiresAt !== undefined) v.check(expiresAt > now, 'expires_at', 'must be in the future');
    v.throwIfAny();

    const role = await this.#roles.findById(request.roleId);
    if (role === undefined) throw roleNotFound();
    new Violations()
      .check(
        role.scope === 'PLATFORM' || request.service !== '',
        'service',
        `is required: ${role.name} is a service-scoped role`,
      )
      .check(
        role.scope === 'SERVICE' || request.service === '',
        'service',
        `must be empty: ${role.name} is a platform role`,
      )
      .throwIfAny();
    await this.#checkActorOutranks(request.actorId, role.name, role.level, now);

    const id = uuidv7();
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const key = { accountId: request.accountId, roleId: role.id, service: request.service };
        await this.#assignments.closeExpired(key, now, tx);
        await this.#assignments.insert(
          {
            id,
            account_id: request.accountId,
            role_id: role.id,
            service: request.service,
            granted_by: request.actorId || null,
            created_at: now,
            expires_at: expiresAt ?? null,
          },
          tx,
        );
        const assignment = await this.#assignments.findById(id, tx);
        if (assignment === undefined) throw new DomainError('INTERNAL', 'INTERNAL', 'Assignment vanished');
        await appendEvents(tx, [
          AuthEvents.roleAssignment('assigned', assignment),
          auditEvent({
            action: 'role.assign',
            actorId: request.actorId,
            targetType: 'account',
            targetId: request.accountId,
            result: 'SUCCESS',
            now,
            metadata: {
              role: role.name,
              assignment_id: id,
              ...(request.service === '' ? {} : { service: request.service }),
            },
          }),
        ]);
        return { assignment: toRoleAssignment(assignment) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'role_assignments_live_key')) {
        throw new DomainError(
          'CONFLICT',
          'ROLE_ALREADY_ASSIGNED',
          `The account already holds ${role.name} here`,
        );
      }
      throw error;
    }
  }

  async revoke(request: RevokeRoleRequest): Promise<MessageInitShape<typeof RevokeRoleResponseSchema>> {
    requireIds({ assignment_id: request.assignmentId }, { actor_id: request.actorId });
    const existing = await this.#assignments.findById(request.assignmentId);
    assertThat(existing, 'NOT_FOUND', 'ROLE_ASSIGNMENT_NOT_FOUND', 'No such role assignment');
    if (existing.revoked_at !== null) return {};
    const now = this.#clock.now();
    await this.#checkActorOutranks(request.actorId, existing.role_name, existing.role_level, now);
    await this.#db.transaction().execute(async (tx) => {
      const revoked = await this.#assignments.revoke(existing.id, request.actorId || null, now, tx);
      if (revoked === undefined) return; // revoked meanwhile: one revocation, one event
      await appendEvents(tx, [
        AuthEvents.roleAssignment('revoked', revoked),
        auditEvent({
          action: 'role.revoke',
          actorId: request.actorId,
          targetType: 'account',
          targetId: revoked.account_id,
          result: 'SUCCESS',
          now,
          metadata: { role: revoked.role_name, assignment_id: revoked.id },
        }),
      ]);
    });
    return {};
  }

  async listAssignments(
    request: ListRoleAssignmentsRequest,
  ): Promise<MessageInitShape<typeof ListRoleAssignmentsResponseSchema>> {
    const v = new Violations();
    if (request.accountId !== '') checkId(v, 'account_id', request.accountId);
    const afterId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#assignments.listLive(
      {
        limit: limit + 1,
        ...(request.accountId === '' ? {} : { accountId: request.accountId }),
        ...(afterId === undefined ? {} : { afterId }),
      },
      this.#clock.now(),
    );
    const page = rows.slice(0, limit);
    return {
      assignments: page.map(toRoleAssignment),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  /** With an actor named, the role must sit strictly below the actor's highest level. */
  async #checkActorOutranks(actorId: string, roleName: string, roleLevel: number, now: Date): Promise<void> {
    if (actorId === '') return;
    const actorLevel = await this.#assignments.highestLevel(actorId, now);
    assertThat(
      roleLevel < actorLevel,
      'PERMISSION_DENIED',
      'ROLE_LEVEL_TOO_HIGH',
      `${roleName} (level ${roleLevel}) is not below the actor's highest role level (${actorLevel})`,
    );
  }

  #roleAudit(
    action: string,
    role: RoleRow,
    actorId: string,
    now: Date,
    metadata: Record<string, string> = {},
  ) {
    return auditEvent({
      action,
      actorId,
      targetType: 'role',
      targetId: role.id,
      result: 'SUCCESS',
      now,
      metadata: { role: role.name, ...metadata },
    });
  }
}
