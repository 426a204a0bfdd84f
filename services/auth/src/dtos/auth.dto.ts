import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type OperatorAssignmentSchema,
  type RoleAssignmentSchema,
  type RoleSchema,
  RoleScope,
  type SanctionSchema,
  SanctionType,
  type SigningKeySchema,
  SigningKeyStatus,
  TokenType,
} from '@girok/contracts/auth/v1/auth';
import type { AccountModeValue } from '../repositories/identity.repository.ts';
import type { OperatorAssignmentRow } from '../repositories/operator-assignment.repository.ts';
import type { RoleRow } from '../repositories/role.repository.ts';
import type { RoleAssignmentRow } from '../repositories/role-assignment.repository.ts';
import type { SanctionRow } from '../repositories/sanction.repository.ts';
import type { SigningKeyRow } from '../repositories/signing-key.repository.ts';
import type { RoleScopeValue, SanctionTypeValue, SigningKeyStatusValue } from '../schema/database.ts';

const SCOPES: Record<RoleScopeValue, RoleScope> = {
  PLATFORM: RoleScope.PLATFORM,
  SERVICE: RoleScope.SERVICE,
};
const SANCTION_TYPES: Record<SanctionTypeValue, SanctionType> = {
  WARNING: SanctionType.WARNING,
  TEMPORARY_BAN: SanctionType.TEMPORARY_BAN,
  PERMANENT_BAN: SanctionType.PERMANENT_BAN,
  FEATURE_RESTRICTION: SanctionType.FEATURE_RESTRICTION,
};
const KEY_STATUSES: Record<SigningKeyStatusValue, SigningKeyStatus> = {
  NEXT: SigningKeyStatus.NEXT,
  ACTIVE: SigningKeyStatus.ACTIVE,
  PREVIOUS: SigningKeyStatus.PREVIOUS,
  RETIRED: SigningKeyStatus.RETIRED,
};

/** The token type a session's account mode gets, as the proto enum and as the JWT claim. */
export const TOKEN_TYPES: Record<AccountModeValue, { proto: TokenType; claim: string }> = {
  USER: { proto: TokenType.USER_ACCESS, claim: 'USER_ACCESS' },
  ADMIN: { proto: TokenType.ADMIN_ACCESS, claim: 'ADMIN_ACCESS' },
  OPERATOR: { proto: TokenType.OPERATOR_ACCESS, claim: 'OPERATOR_ACCESS' },
};

function fromProto<V extends string, E extends number>(table: Record<V, E>, value: E): V | undefined {
  return (Object.keys(table) as V[]).find((key) => table[key] === value);
}

export const scopeFromProto = (scope: RoleScope) => fromProto(SCOPES, scope);
export const sanctionTypeFromProto = (type: SanctionType) => fromProto(SANCTION_TYPES, type);

const optionalTime = (date: Date | null) => (date === null ? undefined : timestampFromDate(date));

export function toSigningKey(row: SigningKeyRow): MessageInitShape<typeof SigningKeySchema> {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    status: KEY_STATUSES[row.status],
    createdAt: timestampFromDate(row.created_at),
    rotatedOutAt: optionalTime(row.rotated_out_at),
    retiredAt: optionalTime(row.retired_at),
  };
}

export function toRole(row: RoleRow): MessageInitShape<typeof RoleSchema> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    level: row.level,
    scope: SCOPES[row.scope],
    permissions: row.permissions,
    system: row.system,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
  };
}

export function toRoleAssignment(row: RoleAssignmentRow): MessageInitShape<typeof RoleAssignmentSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    roleId: row.role_id,
    roleName: row.role_name,
    service: row.service,
    grantedBy: row.granted_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    expiresAt: optionalTime(row.expires_at),
  };
}

export function toOperatorAssignment(
  row: OperatorAssignmentRow,
): MessageInitShape<typeof OperatorAssignmentSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    service: row.service,
    country: row.country,
    permissions: row.permissions,
    grantedBy: row.granted_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    revokedAt: optionalTime(row.revoked_at),
  };
}

export function toSanction(row: SanctionRow): MessageInitShape<typeof SanctionSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    type: SANCTION_TYPES[row.type],
    reason: row.reason,
    features: row.features,
    startsAt: timestampFromDate(row.starts_at),
    endsAt: optionalTime(row.ends_at),
    issuedBy: row.issued_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    revokedAt: optionalTime(row.revoked_at),
    revokeReason: row.revoke_reason ?? '',
  };
}
