import { create, type DescMessage, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AuditEventSchema as AuditEvent,
  type AuditEventSchema,
  AuditResult,
  type ClientInfo,
} from '@girok/contracts/common/v1/common';
import {
  AccountEventSchema,
  DeviceEventSchema,
  ProfileEventSchema,
  SessionEventSchema,
} from '@girok/contracts/identity/v1/events';
import { currentRequestId } from '@girok/kit/context';
import { uuidv7 } from '@girok/kit/ids';
import type { OutboxEventInput } from '@girok/kit/outbox';
import { toAccount, toDevice, toProfile, toSession } from '../dtos/identity.dto.ts';
import type { AccountRow } from '../repositories/account.repository.ts';
import type { DeviceRow } from '../repositories/device.repository.ts';
import type { ProfileRow } from '../repositories/profile.repository.ts';
import type { SessionRow } from '../repositories/session.repository.ts';

const SOURCE = 'identity-service';

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
    type: `girok.identity.v1.${aggregate}.${change}`,
    subject: key,
    source: SOURCE,
    data: toJson(schema, create(schema, data)),
  };
}

/**
 * The identity topics' events (CloudEvents data in proto3 JSON). Every one is keyed by the account
 * it belongs to, so one account's sessions, devices and profile changes stay in order on one
 * partition, and consumers can erase an account's data by key.
 */
export const IdentityEvents = {
  account: (change: string, row: AccountRow, mfaEnabled: boolean) =>
    event('identity.account.v1', 'account', change, row.id, AccountEventSchema, {
      account: toAccount(row, mfaEnabled),
    }),
  session: (change: string, row: SessionRow) =>
    event('identity.session.v1', 'session', change, row.account_id, SessionEventSchema, {
      session: toSession(row),
    }),
  device: (change: string, row: DeviceRow) =>
    event('identity.device.v1', 'device', change, row.account_id, DeviceEventSchema, {
      device: toDevice(row),
    }),
  profile: (change: string, row: ProfileRow) =>
    event('identity.profile.v1', 'profile', change, row.account_id, ProfileEventSchema, {
      profile: toProfile(row),
    }),
};

export interface AuditInput {
  readonly action: string;
  readonly actorId?: string;
  readonly targetType: string;
  readonly targetId?: string;
  readonly result: 'SUCCESS' | 'FAILURE' | 'DENIED';
  readonly reason?: string;
  readonly client?: ClientInfo | undefined;
  readonly metadata?: Record<string, string>;
  readonly now: Date;
}

/** A security-relevant action for `audit.event.v1`, keyed by the actor (or target) account. */
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
    key: input.actorId || input.targetId || 'anonymous',
    type: 'girok.audit.v1.event',
    subject: input.targetId ?? '',
    source: SOURCE,
    data: toJson(AuditEvent, create(AuditEvent, data)),
  };
}

/** The common audit case: an account acting on itself, successfully. */
export function accountAudit(
  action: string,
  accountId: string,
  now: Date,
  client: ClientInfo | undefined,
  metadata?: Record<string, string>,
): OutboxEventInput {
  return auditEvent({
    action,
    actorId: accountId,
    targetType: 'account',
    targetId: accountId,
    result: 'SUCCESS',
    client,
    now,
    ...(metadata === undefined ? {} : { metadata }),
  });
}
