import type { ClientInfo } from '@girok/contracts/common/v1/common';
import {
  AccountEventSchema,
  DeviceEventSchema,
  ProfileEventSchema,
  SessionEventSchema,
} from '@girok/contracts/identity/v1/events';
import { domainEvents, type OutboxEventInput } from '@girok/kit/outbox';
import { toAccount, toDevice, toProfile, toSession } from '../dtos/identity.dto.ts';
import type { AccountRow } from '../repositories/account.repository.ts';
import type { DeviceRow } from '../repositories/device.repository.ts';
import type { ProfileRow } from '../repositories/profile.repository.ts';
import type { SessionRow } from '../repositories/session.repository.ts';

const { event, audit } = domainEvents('identity-service', 'identity');

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

/** A security-relevant action for `audit.event.v1`. */
export const auditEvent = audit;

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
