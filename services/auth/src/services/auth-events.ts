import { create, type DescMessage, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  OperatorAssignmentEventSchema,
  RoleAssignmentEventSchema,
  RoleEventSchema,
  SanctionEventSchema,
} from '@girok/contracts/auth/v1/events';
import {
  AuditEventSchema as AuditEvent,
  type AuditEventSchema,
  AuditResult,
  type ClientInfo,
} from '@girok/contracts/common/v1/common';
import { currentRequestId } from '@girok/kit/context';
import { uuidv7 } from '@girok/kit/ids';
import type { OutboxEventInput } from '@girok/kit/outbox';
import { toOperatorAssignment, toRole, toRoleAssignment, toSanction } from '../dtos/auth.dto.ts';
import type { OperatorAssignmentRow } from '../repositories/operator-assignment.repository.ts';
import type { RoleRow } from '../repositories/role.repository.ts';
import type { RoleAssignmentRow } from '../repositories/role-assignment.repository.ts';
import type { SanctionRow } from '../repositories/sanction.repository.ts';

const SOURCE = 'auth-service';

function event<Desc extends DescMessage>(
  topic: string,
  aggregate: string,
  change: string,
  key: string,
  schema: Desc,
  data: MessageInitShape<Desc>,
): OutboxEventInput {
  return {
    topic,
    key,
    type: `girok.auth.v1.${aggregate}.${change}`,
    subject: key,
    source: SOURCE,
    data: toJson(schema, create(schema, data)),
  };
}

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

export interface AuditInput {
  readonly action: string;
  /** The admin or operator acting; empty for the service itself (scheduled rotation). */
  readonly actorId?: string;
  readonly targetType: string;
  readonly targetId?: string;
  readonly result: 'SUCCESS' | 'FAILURE' | 'DENIED';
  readonly reason?: string;
  readonly client?: ClientInfo | undefined;
  readonly metadata?: Record<string, string>;
  readonly now: Date;
}

/** A security-relevant action for `audit.event.v1`, keyed by the actor (or the target). */
export function auditEvent(input: AuditInput): OutboxEventInput {
  const data: MessageInitShape<typeof AuditEventSchema> = {
    id: uuidv7(),
    occurredAt: timestampFromDate(input.now),
    service: SOURCE,
    action: input.action,
    actorId: input.actorId ?? '',
    targetType: input.targetType,
    targetId: input.targetId ?? '',
    result: AuditResult[input.result],
    reason: input.reason ?? '',
    ipAddress: input.client?.ipAddress ?? '',
    userAgent: input.client?.userAgent ?? '',
    traceId: currentRequestId() ?? '',
    metadata: input.metadata ?? {},
  };
  return {
    topic: 'audit.event.v1',
    key: input.actorId || input.targetId || SOURCE,
    type: 'girok.audit.v1.event',
    subject: input.targetId ?? '',
    source: SOURCE,
    data: toJson(AuditEvent, create(AuditEvent, data)),
  };
}
