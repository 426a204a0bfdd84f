import {
  OperatorAssignmentEventSchema,
  RoleAssignmentEventSchema,
  RoleEventSchema,
  SanctionEventSchema,
} from '@girok/contracts/auth/v1/events';
import { domainEvents } from '@girok/kit/outbox';
import { toOperatorAssignment, toRole, toRoleAssignment, toSanction } from '../dtos/auth.dto.ts';
import type { OperatorAssignmentRow } from '../repositories/operator-assignment.repository.ts';
import type { RoleRow } from '../repositories/role.repository.ts';
import type { RoleAssignmentRow } from '../repositories/role-assignment.repository.ts';
import type { SanctionRow } from '../repositories/sanction.repository.ts';

const { event, audit } = domainEvents('auth-service', 'auth');

/**
 * The auth topics' events (CloudEvents data in proto3 JSON). Roles are keyed by role id; grants and
 * sanctions by the account they concern, so one account's access changes stay in order.
 */
export const AuthEvents = {
  role: (change: 'created' | 'updated' | 'deleted', row: RoleRow) =>
    event('auth.role.v1', 'role', change, row.id, RoleEventSchema, { role: toRole(row) }),
  roleAssignment: (change: 'assigned' | 'revoked', row: RoleAssignmentRow) =>
    event('auth.role.v1', 'role_assignment', change, row.account_id, RoleAssignmentEventSchema, {
      assignment: toRoleAssignment(row),
    }),
  operatorAssignment: (change: 'granted' | 'revoked', row: OperatorAssignmentRow) =>
    event('auth.role.v1', 'operator_assignment', change, row.account_id, OperatorAssignmentEventSchema, {
      assignment: toOperatorAssignment(row),
    }),
  sanction: (change: 'created' | 'revoked', row: SanctionRow) =>
    event('auth.sanction.v1', 'sanction', change, row.account_id, SanctionEventSchema, {
      sanction: toSanction(row),
    }),
};

/** A security-relevant action for `audit.event.v1`. */
export const auditEvent = audit;
