import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DecisionReason, RoleScope, SanctionType } from '@girok/contracts/auth/v1/auth';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyAccountId,
  failure,
  grantInDatabase,
  pendingAudits,
  rowCounts,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const SUPER_ADMIN = '00000000-0000-7000-8000-000000000001';
const SECURITY_ADMIN = '00000000-0000-7000-8000-000000000002';
const SUPPORT = '00000000-0000-7000-8000-000000000003';

let roleCounter = 0;
function roleName(base: string): string {
  roleCounter += 1;
  return `${base}_${Date.now().toString(36)}_${roleCounter}`;
}

describe('roles, assignments and permission checks', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({}, { relay: false });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('the catalogue and the system roles are there from the start', async () => {
    const { auth } = platform;
    const { permissions } = await auth.grpc.listPermissions({});
    expect(permissions.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'session:read_all',
        'session:revoke_any',
        'role:manage',
        'signing_key:manage',
        'dsr:manage',
      ]),
    );
    expect(permissions.every((p) => p.description !== '')).toBe(true);
    const { roles } = await auth.grpc.listRoles({});
    expect(roles.map((r) => [r.name, r.level, r.system, r.permissions])).toEqual([
      ['super_admin', 100, true, ['*']],
      [
        'security_admin',
        50,
        true,
        ['audit:read', 'sanction:manage', 'session:read_all', 'session:revoke_any'],
      ],
      ['support', 10, true, ['account:read', 'session:read_all']],
    ]);
  });

  it('creates a role, with its event and audit; a duplicate name is ALREADY_EXISTS ROLE_NAME_TAKEN', async () => {
    const { auth } = platform;
    const name = roleName('auditor');
    const actorId = anyAccountId();
    const { role } = await auth.grpc.createRole({
      name,
      description: 'Reads the audit trail',
      level: 20,
      scope: RoleScope.PLATFORM,
      permissions: ['audit:read', 'session:*', 'audit:read'],
      actorId,
    });
    expect(role).toMatchObject({ name, level: 20, scope: RoleScope.PLATFORM, system: false });
    expect(role?.permissions).toEqual(['audit:read', 'session:*']);
    expect((await auth.grpc.getRole({ roleId: role?.id ?? '' })).role?.name).toBe(name);
    const events = await auth.db
      .selectFrom('outbox_events')
      .select(['type', 'key'])
      .where('topic', '=', 'auth.role.v1')
      .where('key', '=', role?.id ?? '')
      .execute();
    expect(events).toEqual([{ type: 'girok.auth.v1.role.created', key: role?.id }]);
    expect((await pendingAudits(auth.db)).find((a) => a.targetId === role?.id)).toMatchObject({
      action: 'role.create',
      actorId,
    });

    const duplicate = await failure(
      auth.grpc.createRole({ name, level: 5, scope: RoleScope.PLATFORM, permissions: [] }),
    );
    expect(duplicate.code).toBe('ROLE_NAME_TAKEN');
    expect(duplicate.grpcStatus).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(duplicate.fieldViolations.map((v) => v.field)).toEqual(['name']);
  });

  it('an invalid role names every bad field and writes nothing (no row, no event)', async () => {
    const { auth } = platform;
    const before = await rowCounts(auth.db);
    const error = await failure(
      auth.grpc.createRole({
        name: 'Bad Name',
        description: 'x'.repeat(501),
        level: 101,
        scope: RoleScope.UNSPECIFIED,
        permissions: ['account:read', 'account:fly', 'not a permission', 'legal:*'],
        actorId: 'nope',
      }),
    );
    expect(error.grpcStatus).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual([
      'name',
      'description',
      'level',
      'scope',
      'permissions[1]',
      'permissions[2]',
      'actor_id',
    ]);
    expect(error.fieldViolations.find((v) => v.field === 'permissions[1]')?.description).toContain(
      'account:fly',
    );
    expect(await rowCounts(auth.db)).toEqual(before);
  });

  it('updates a role; system roles keep their level and permissions; permissions need the flag', async () => {
    const { auth } = platform;
    const { role } = await auth.grpc.createRole({
      name: roleName('helper'),
      level: 5,
      scope: RoleScope.PLATFORM,
      permissions: ['account:read'],
    });
    const updated = await auth.grpc.updateRole({
      roleId: role?.id ?? '',
      level: 7,
      permissions: ['account:read', 'session:read_all'],
      updatePermissions: true,
    });
    expect(updated.role).toMatchObject({ level: 7, permissions: ['account:read', 'session:read_all'] });
    expect(updated.role?.description).toBe('');
    const described = await auth.grpc.updateRole({ roleId: role?.id ?? '', description: 'Helps' });
    expect(described.role).toMatchObject({
      level: 7,
      description: 'Helps',
      permissions: ['account:read', 'session:read_all'],
    });

    const flagless = await failure(
      auth.grpc.updateRole({ roleId: role?.id ?? '', permissions: ['account:read'] }),
    );
    expect(flagless.fieldViolations.map((v) => v.field)).toEqual(['permissions']);
    const system = await failure(
      auth.grpc.updateRole({ roleId: SUPPORT, permissions: ['*'], updatePermissions: true }),
    );
    expect(system.code).toBe('SYSTEM_ROLE_IMMUTABLE');
    expect(system.grpcStatus).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((await auth.grpc.getRole({ roleId: SUPPORT })).role?.permissions).toEqual([
      'account:read',
      'session:read_all',
    ]);
    // A system role's description may change.
    expect(
      (await auth.grpc.updateRole({ roleId: SUPPORT, description: 'Front-line support' })).role?.description,
    ).toBe('Front-line support');
    const missing = await failure(auth.grpc.updateRole({ roleId: anyAccountId(), level: 3 }));
    expect(missing.code).toBe('ROLE_NOT_FOUND');
  });

  it('deletes a role nobody holds; refuses system roles and roles in use', async () => {
    const { auth } = platform;
    const system = await failure(auth.grpc.deleteRole({ roleId: SUPER_ADMIN }));
    expect(system.code).toBe('SYSTEM_ROLE_PROTECTED');
    const { role } = await auth.grpc.createRole({
      name: roleName('temp'),
      level: 3,
      scope: RoleScope.PLATFORM,
    });
    const roleId = role?.id ?? '';
    const { assignment } = await auth.grpc.assignRole({ accountId: anyAccountId(), roleId });
    const inUse = await failure(auth.grpc.deleteRole({ roleId }));
    expect(inUse.code).toBe('ROLE_IN_USE');
    await auth.grpc.revokeRole({ assignmentId: assignment?.id ?? '' });
    await auth.grpc.deleteRole({ roleId });
    expect((await failure(auth.grpc.getRole({ roleId }))).code).toBe('ROLE_NOT_FOUND');
    expect((await failure(auth.grpc.deleteRole({ roleId }))).code).toBe('ROLE_NOT_FOUND');
    const types = await auth.db
      .selectFrom('outbox_events')
      .select('type')
      .where('topic', '=', 'auth.role.v1')
      .where('key', '=', roleId)
      .orderBy('seq')
      .execute();
    expect(types.map((t) => t.type)).toEqual(['girok.auth.v1.role.created', 'girok.auth.v1.role.deleted']);
  });

  it('service-scoped roles need a service; platform roles refuse one; a duplicate grant is refused', async () => {
    const { auth } = platform;
    const { role } = await auth.grpc.createRole({
      name: roleName('legal_editor'),
      level: 15,
      scope: RoleScope.SERVICE,
      permissions: ['legal_document:manage'],
    });
    const accountId = anyAccountId();
    const noService = await failure(auth.grpc.assignRole({ accountId, roleId: role?.id ?? '' }));
    expect(noService.fieldViolations.map((v) => v.field)).toEqual(['service']);
    const withService = await failure(
      auth.grpc.assignRole({ accountId, roleId: SUPPORT, service: 'legal-service' }),
    );
    expect(withService.fieldViolations.map((v) => v.field)).toEqual(['service']);
    const { assignment } = await auth.grpc.assignRole({
      accountId,
      roleId: role?.id ?? '',
      service: 'legal-service',
    });
    expect(assignment).toMatchObject({ accountId, roleName: role?.name, service: 'legal-service' });
    const duplicate = await failure(
      auth.grpc.assignRole({ accountId, roleId: role?.id ?? '', service: 'legal-service' }),
    );
    expect(duplicate.code).toBe('ROLE_ALREADY_ASSIGNED');
    const missing = await failure(auth.grpc.assignRole({ accountId, roleId: anyAccountId() }));
    expect(missing.code).toBe('ROLE_NOT_FOUND');
  });

  it('an actor assigns and revokes only roles strictly below their own highest level', async () => {
    const { auth } = platform;
    const securityAdmin = anyAccountId();
    await auth.grpc.assignRole({ accountId: securityAdmin, roleId: SECURITY_ADMIN });
    const target = anyAccountId();
    const granted = await auth.grpc.assignRole({
      accountId: target,
      roleId: SUPPORT,
      actorId: securityAdmin,
    });
    expect(granted.assignment?.grantedBy).toBe(securityAdmin);

    const equal = await failure(
      auth.grpc.assignRole({ accountId: target, roleId: SECURITY_ADMIN, actorId: securityAdmin }),
    );
    expect(equal.code).toBe('ROLE_LEVEL_TOO_HIGH');
    expect(equal.grpcStatus).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(equal.message).toContain('level 50');
    const higher = await failure(
      auth.grpc.assignRole({ accountId: target, roleId: SUPER_ADMIN, actorId: securityAdmin }),
    );
    expect(higher.code).toBe('ROLE_LEVEL_TOO_HIGH');
    const nobody = await failure(
      auth.grpc.assignRole({ accountId: target, roleId: SUPPORT, actorId: anyAccountId() }),
    );
    expect(nobody.code).toBe('ROLE_LEVEL_TOO_HIGH');

    const support = anyAccountId();
    await auth.grpc.assignRole({ accountId: support, roleId: SUPPORT });
    const revokeUp = await failure(
      auth.grpc.revokeRole({ assignmentId: granted.assignment?.id ?? '', actorId: support }),
    );
    expect(revokeUp.code).toBe('ROLE_LEVEL_TOO_HIGH');
    await auth.grpc.revokeRole({ assignmentId: granted.assignment?.id ?? '', actorId: securityAdmin });
    expect((await auth.grpc.listRoleAssignments({ accountId: target })).assignments).toEqual([]);
    const audits = (await pendingAudits(auth.db)).filter((a) => a.targetId === target);
    expect(audits.map((a) => [a.action, a.actorId])).toEqual([
      ['role.assign', securityAdmin],
      ['role.revoke', securityAdmin],
    ]);
    expect((await failure(auth.grpc.revokeRole({ assignmentId: anyAccountId() }))).code).toBe(
      'ROLE_ASSIGNMENT_NOT_FOUND',
    );
  });

  it('an expired grant no longer counts, and the role can be granted again', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const expiresAt = new Date(Date.now() + 60_000);
    await auth.grpc.assignRole({ accountId, roleId: SUPPORT, expiresAt: timestampFromDate(expiresAt) });
    const check = () => auth.grpc.checkPermission({ accountId, query: { permission: 'account:read' } });
    expect((await check()).decision?.allowed).toBe(true);
    auth.clock.advance(120_000);
    try {
      expect((await check()).decision?.reason).toBe(DecisionReason.NO_MATCHING_GRANT);
      expect((await auth.grpc.listRoleAssignments({ accountId })).assignments).toEqual([]);
      await auth.grpc.assignRole({ accountId, roleId: SUPPORT });
      expect((await check()).decision?.allowed).toBe(true);
    } finally {
      auth.clock.offsetMs = 0;
    }
    const past = await failure(
      auth.grpc.assignRole({
        accountId,
        roleId: SECURITY_ADMIN,
        expiresAt: timestampFromDate(new Date(Date.now() - 1000)),
      }),
    );
    expect(past.fieldViolations.map((v) => v.field)).toEqual(['expires_at']);
  });

  it('CheckPermissions answers each query in order with its reason', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const { role: sessionOps } = await auth.grpc.createRole({
      name: roleName('session_ops'),
      level: 30,
      scope: RoleScope.PLATFORM,
      permissions: ['session:*'],
    });
    const { role: legal } = await auth.grpc.createRole({
      name: roleName('legal_editor'),
      level: 15,
      scope: RoleScope.SERVICE,
      permissions: ['legal_document:manage'],
    });
    await auth.grpc.assignRole({ accountId, roleId: SUPPORT });
    await auth.grpc.assignRole({ accountId, roleId: sessionOps?.id ?? '' });
    await auth.grpc.assignRole({ accountId, roleId: legal?.id ?? '', service: 'legal-service' });
    const { assignment: operator } = await auth.grpc.createOperatorAssignment({
      accountId,
      service: 'identity-service',
      country: 'KR',
      permissions: ['dsr:manage'],
    });

    const { decisions } = await auth.grpc.checkPermissions({
      accountId,
      queries: [
        { permission: 'account:read' },
        { permission: 'session:revoke_any' },
        { permission: 'legal_document:manage', service: 'legal-service' },
        { permission: 'legal_document:manage', service: 'identity-service' },
        { permission: 'dsr:manage', service: 'identity-service', country: 'KR' },
        { permission: 'dsr:manage', service: 'identity-service', country: 'JP' },
        { permission: 'account:manage' },
      ],
    });
    expect(decisions.map((d) => [d.permission, d.allowed, d.reason, d.matched])).toEqual([
      ['account:read', true, DecisionReason.ROLE_GRANTED, 'support'],
      ['session:revoke_any', true, DecisionReason.ROLE_GRANTED, sessionOps?.name],
      ['legal_document:manage', true, DecisionReason.ROLE_GRANTED, legal?.name],
      ['legal_document:manage', false, DecisionReason.NO_MATCHING_GRANT, ''],
      ['dsr:manage', true, DecisionReason.OPERATOR_ASSIGNMENT_GRANTED, operator?.id],
      ['dsr:manage', false, DecisionReason.NO_MATCHING_GRANT, ''],
      ['account:manage', false, DecisionReason.NO_MATCHING_GRANT, ''],
    ]);
    expect(decisions[1]?.explanation).toContain('through session:*');
    expect(decisions.every((d) => d.explanation !== '')).toBe(true);

    // A feature restriction denies what it names (wildcards included), leaving the rest granted.
    const { sanction: restriction } = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.FEATURE_RESTRICTION,
      reason: 'investigation',
      features: ['session:*'],
    });
    const restricted = await auth.grpc.checkPermissions({
      accountId,
      queries: [{ permission: 'session:read_all' }, { permission: 'account:read' }],
    });
    expect(restricted.decisions.map((d) => [d.allowed, d.reason, d.matched])).toEqual([
      [false, DecisionReason.FEATURE_RESTRICTED, restriction?.id],
      [true, DecisionReason.ROLE_GRANTED, 'support'],
    ]);

    // A ban denies everything, the super_admin wildcard included. Nobody outranks super_admin, so
    // no API caller can grant it: only the bootstrap can.
    await grantInDatabase(auth.db, accountId, SUPER_ADMIN);
    const { sanction: ban } = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.PERMANENT_BAN,
      reason: 'compromised',
    });
    const banned = await auth.grpc.checkPermission({ accountId, query: { permission: 'account:read' } });
    expect(banned.decision).toMatchObject({
      allowed: false,
      reason: DecisionReason.ACCOUNT_BANNED,
      matched: ban?.id,
    });
    await auth.grpc.revokeSanction({ sanctionId: ban?.id ?? '' });
    const lifted = await auth.grpc.checkPermission({ accountId, query: { permission: 'account:manage' } });
    expect(lifted.decision).toMatchObject({
      allowed: true,
      reason: DecisionReason.ROLE_GRANTED,
      matched: 'super_admin',
    });
  });

  it('permission queries are validated: 1..100 of them, concrete names, service and country formats', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const none = await failure(auth.grpc.checkPermissions({ accountId, queries: [] }));
    expect(none.fieldViolations.map((v) => v.field)).toEqual(['queries']);
    const tooMany = await failure(
      auth.grpc.checkPermissions({
        accountId,
        queries: Array.from({ length: 101 }, () => ({ permission: 'a:b' })),
      }),
    );
    expect(tooMany.fieldViolations.map((v) => v.field)).toEqual(['queries']);
    expect(
      (
        await auth.grpc.checkPermissions({
          accountId,
          queries: Array.from({ length: 100 }, () => ({ permission: 'a:b' })),
        })
      ).decisions,
    ).toHaveLength(100);
    const bad = await failure(
      auth.grpc.checkPermissions({
        accountId: 'x',
        queries: [{ permission: 'session:*' }, { permission: 'a:b', service: 'Bad Service', country: 'kr' }],
      }),
    );
    expect(bad.fieldViolations.map((v) => v.field)).toEqual([
      'account_id',
      'queries[0].permission',
      'queries[1].service',
      'queries[1].country',
    ]);
    const single = await failure(auth.grpc.checkPermission({ accountId }));
    expect(single.fieldViolations.map((v) => v.field)).toEqual(['query']);
  });

  it('operator assignments: created, listed with filters, revoked softly; bad fields named', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const kr = await auth.grpc.createOperatorAssignment({
      accountId,
      service: 'identity-service',
      country: 'KR',
      permissions: ['account:read'],
    });
    await auth.grpc.createOperatorAssignment({
      accountId,
      service: 'legal-service',
      country: 'JP',
      permissions: ['dsr:manage', 'legal_document:*'],
    });
    const all = await auth.grpc.listOperatorAssignments({ accountId });
    expect(all.assignments.map((a) => [a.service, a.country])).toEqual([
      ['identity-service', 'KR'],
      ['legal-service', 'JP'],
    ]);
    const onlyJp = await auth.grpc.listOperatorAssignments({ accountId, country: 'JP' });
    expect(onlyJp.assignments.map((a) => a.permissions)).toEqual([['dsr:manage', 'legal_document:*']]);
    const paged = await auth.grpc.listOperatorAssignments({ accountId, page: { pageSize: 1 } });
    expect(paged.assignments).toHaveLength(1);
    const next = await auth.grpc.listOperatorAssignments({
      accountId,
      page: { pageSize: 1, pageToken: paged.page?.nextPageToken ?? '' },
    });
    expect(next.assignments[0]?.country).toBe('JP');
    expect(next.page?.nextPageToken).toBe('');

    await auth.grpc.revokeOperatorAssignment({ assignmentId: kr.assignment?.id ?? '' });
    await auth.grpc.revokeOperatorAssignment({ assignmentId: kr.assignment?.id ?? '' }); // idempotent
    expect(
      (await auth.grpc.listOperatorAssignments({ accountId })).assignments.map((a) => a.country),
    ).toEqual(['JP']);
    const withRevoked = await auth.grpc.listOperatorAssignments({ accountId, includeRevoked: true });
    expect(withRevoked.assignments.find((a) => a.id === kr.assignment?.id)?.revokedAt).toBeDefined();
    const decision = await auth.grpc.checkPermission({
      accountId,
      query: { permission: 'account:read', service: 'identity-service', country: 'KR' },
    });
    expect(decision.decision?.reason).toBe(DecisionReason.NO_MATCHING_GRANT);
    const revokedEvents = await auth.db
      .selectFrom('outbox_events')
      .select('type')
      .where('key', '=', accountId)
      .where('type', '=', 'girok.auth.v1.operator_assignment.revoked')
      .execute();
    expect(revokedEvents).toHaveLength(1);

    const before = await rowCounts(auth.db);
    const bad = await failure(
      auth.grpc.createOperatorAssignment({
        accountId: 'x',
        service: '',
        country: 'kr',
        permissions: ['nope:nope'],
      }),
    );
    expect(bad.fieldViolations.map((v) => v.field)).toEqual([
      'account_id',
      'service',
      'country',
      'permissions[0]',
    ]);
    const empty = await failure(
      auth.grpc.createOperatorAssignment({
        accountId,
        service: 'identity-service',
        country: 'KR',
        permissions: [],
      }),
    );
    expect(empty.fieldViolations.map((v) => v.field)).toEqual(['permissions']);
    expect(await rowCounts(auth.db)).toEqual(before);
    expect((await failure(auth.grpc.revokeOperatorAssignment({ assignmentId: anyAccountId() }))).code).toBe(
      'OPERATOR_ASSIGNMENT_NOT_FOUND',
    );
  });
});
