import type { DsrDatabase } from '@girok/kit/dsr';
import type { OutboxDatabase } from '@girok/kit/outbox';
import type { ColumnType, Generated } from 'kysely';

/** Timestamps are written as Date and read as Date. */
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export type AccountStatusValue = 'ACTIVE' | 'PENDING_DELETION' | 'DELETED';
export type AccountModeValue = 'USER' | 'ADMIN' | 'OPERATOR';

export interface AccountsTable {
  id: string;
  /** Normalised (validation.ts `normaliseIdentifier`); unique. Replaced by a tombstone address when the account is erased. */
  email: string;
  /** Normalised (validation.ts `normaliseIdentifier`); unique. */
  username: string;
  /**
   * The username's look-alike skeleton; unique, so look-alikes collide. NULL for tombstones and for
   * look-alikes that predate the rule.
   */
  username_skeleton: ColumnType<string | null, string | null, string | null>;
  status: AccountStatusValue;
  mode: AccountModeValue;
  locale: string;
  country: string;
  failed_login_count: Generated<number>;
  locked_until: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  deletion_scheduled_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

export interface CredentialsTable {
  account_id: string;
  /** argon2id PHC string: the parameters travel with the hash. */
  password_hash: string;
  password_changed_at: Timestamp;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  account_id: string;
  password_hash: string;
  created_at: Timestamp;
}

export interface MfaTotpTable {
  account_id: string;
  /** AES-256-GCM under the key ring, bound to the account id. */
  secret_encrypted: string;
  confirmed_at: NullableTimestamp;
  /** The last accepted time step: a code is never accepted twice. */
  last_used_step: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
}

export interface MfaBackupCodesTable {
  account_id: string;
  code_hash: string;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  fingerprint: string;
  name: string;
  trusted: Generated<boolean>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  last_ip: string;
  revoked_at: NullableTimestamp;
}

/** A session is one refresh-token family. */
export interface SessionsTable {
  id: string;
  account_id: string;
  device_id: string | null;
  mode: AccountModeValue;
  mfa_verified: boolean;
  ip_address: string;
  user_agent: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
  idle_expires_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoke_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token (hex); the token itself is never stored. */
  token_hash: string;
  session_id: string;
  created_at: Timestamp;
  rotated_at: NullableTimestamp;
  /**
   * The successor issued when this token was rotated, encrypted, so a benign repeat within the
   * grace window gets the same successor instead of tripping reuse detection.
   */
  successor_encrypted: string | null;
}

export interface ProfilesTable {
  account_id: string;
  display_name: string;
  avatar_url: string;
  bio: string;
  birth_date: string;
  phone_number: string;
  updated_at: Timestamp;
}

export interface IdentityDatabase extends OutboxDatabase, DsrDatabase {
  accounts: AccountsTable;
  credentials: CredentialsTable;
  password_history: PasswordHistoryTable;
  mfa_totp: MfaTotpTable;
  mfa_backup_codes: MfaBackupCodesTable;
  devices: DevicesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  profiles: ProfilesTable;
}
