import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AccountMode,
  type AccountSchema,
  AccountStatus,
  type DeviceSchema,
  type ProfileSchema,
  type SessionSchema,
} from '@girok/contracts/identity/v1/identity';
import type { AccountRow } from '../repositories/account.repository.ts';
import type { DeviceRow } from '../repositories/device.repository.ts';
import type { ProfileRow } from '../repositories/profile.repository.ts';
import type { SessionRow } from '../repositories/session.repository.ts';
import type { AccountModeValue, AccountStatusValue } from '../schema/database.ts';

const MODES: Record<AccountModeValue, AccountMode> = {
  USER: AccountMode.USER,
  ADMIN: AccountMode.ADMIN,
  OPERATOR: AccountMode.OPERATOR,
};
const STATUSES: Record<AccountStatusValue, AccountStatus> = {
  ACTIVE: AccountStatus.ACTIVE,
  PENDING_DELETION: AccountStatus.PENDING_DELETION,
  DELETED: AccountStatus.DELETED,
};

function modeToProto(mode: AccountModeValue): AccountMode {
  return MODES[mode];
}

export function modeFromProto(mode: AccountMode): AccountModeValue | undefined {
  return (Object.keys(MODES) as AccountModeValue[]).find((key) => MODES[key] === mode);
}

export function statusToProto(status: AccountStatusValue): AccountStatus {
  return STATUSES[status];
}

export function statusFromProto(status: AccountStatus): AccountStatusValue | undefined {
  return (Object.keys(STATUSES) as AccountStatusValue[]).find((key) => STATUSES[key] === status);
}

const optionalTime = (date: Date | null) => (date === null ? undefined : timestampFromDate(date));

export function toAccount(row: AccountRow, mfaEnabled: boolean): MessageInitShape<typeof AccountSchema> {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    status: statusToProto(row.status),
    mode: modeToProto(row.mode),
    locale: row.locale,
    country: row.country,
    mfaEnabled,
    mfaEnrollmentRequired: row.mode !== 'USER' && !mfaEnabled,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    deletionScheduledAt: optionalTime(row.deletion_scheduled_at),
  };
}

export function toSession(row: SessionRow): MessageInitShape<typeof SessionSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    deviceId: row.device_id ?? '',
    createdAt: timestampFromDate(row.created_at),
    lastUsedAt: timestampFromDate(row.last_used_at),
    idleExpiresAt: timestampFromDate(row.idle_expires_at),
    expiresAt: timestampFromDate(row.expires_at),
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    mfaVerified: row.mfa_verified,
    mode: modeToProto(row.mode),
    revokedAt: optionalTime(row.revoked_at),
    revokeReason: row.revoke_reason ?? '',
  };
}

export function toDevice(row: DeviceRow): MessageInitShape<typeof DeviceSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    fingerprint: row.fingerprint,
    name: row.name,
    trusted: row.trusted,
    firstSeenAt: timestampFromDate(row.first_seen_at),
    lastSeenAt: timestampFromDate(row.last_seen_at),
    lastIpAddress: row.last_ip,
    revokedAt: optionalTime(row.revoked_at),
  };
}

export function toProfile(row: ProfileRow): MessageInitShape<typeof ProfileSchema> {
  return {
    accountId: row.account_id,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    bio: row.bio,
    birthDate: row.birth_date,
    phoneNumber: row.phone_number,
    updatedAt: timestampFromDate(row.updated_at),
  };
}

/** Keyset pagination: the token is the last id of the page, opaque to callers. */
export function pageToken(lastId: string | undefined): string {
  return lastId === undefined ? '' : Buffer.from(lastId).toString('base64url');
}

export function afterIdFrom(token: string): string | undefined {
  return token === '' ? undefined : Buffer.from(token, 'base64url').toString();
}
