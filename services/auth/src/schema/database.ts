import type { DsrDatabase } from '@girok/kit/dsr';
import type { OutboxDatabase } from '@girok/kit/outbox';
import type { ColumnType, Generated } from 'kysely';

/** Timestamps are written as Date and read as Date. */
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type NullableId = ColumnType<string | null, string | null | undefined, string | null>;

export type SigningKeyStatusValue = 'NEXT' | 'ACTIVE' | 'PREVIOUS' | 'RETIRED';
export type RoleScopeValue = 'PLATFORM' | 'SERVICE';
export type SanctionTypeValue = 'WARNING' | 'TEMPORARY_BAN' | 'PERMANENT_BAN' | 'FEATURE_RESTRICTION';

/** The public half of an ES256 key as published in the JWKS (RFC 7517 / 7518 §6.2.1). */
export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

export interface SigningKeysTable {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  algorithm: string;
  /** Read back parsed; written as JSON text. */
  public_jwk: ColumnType<PublicJwk, string, string>;
  /** The private JWK under the key ring, bound to the kid (AAD). */
  private_key_encrypted: string;
  status: SigningKeyStatusValue;
  created_at: Timestamp;
  /** When it started signing; null while NEXT. */
  activated_at: NullableTimestamp;
  rotated_out_at: NullableTimestamp;
  retired_at: NullableTimestamp;
}

/** The catalogue of concrete permissions (`resource:action`), seeded by migrations. */
export interface PermissionsTable {
  name: string;
  description: string;
}

export interface RolesTable {
  id: string;
  /** Lower snake case; unique. */
  name: string;
  description: string;
  /** 1..100: an actor assigns only roles below their own highest level. */
  level: number;
  scope: RoleScopeValue;
  /** Permission patterns: concrete names from the catalogue, `resource:*` or `*`. */
  permissions: string[];
  system: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RoleAssignmentsTable {
  id: string;
  account_id: string;
  role_id: string;
  /** SERVICE-scoped roles: the service it applies to; '' for PLATFORM roles. */
  service: string;
  granted_by: NullableId;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  revoked_by: NullableId;
}

export interface OperatorAssignmentsTable {
  id: string;
  account_id: string;
  service: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  permissions: string[];
  granted_by: NullableId;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_by: NullableId;
}

export interface SanctionsTable {
  id: string;
  account_id: string;
  type: SanctionTypeValue;
  reason: string;
  /** FEATURE_RESTRICTION: the permission patterns denied; empty otherwise. */
  features: string[];
  starts_at: Timestamp;
  ends_at: NullableTimestamp;
  issued_by: NullableId;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_by: NullableId;
  revoke_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuthDatabase extends OutboxDatabase, DsrDatabase {
  signing_keys: SigningKeysTable;
  permissions: PermissionsTable;
  roles: RolesTable;
  role_assignments: RoleAssignmentsTable;
  operator_assignments: OperatorAssignmentsTable;
  sanctions: SanctionsTable;
}
