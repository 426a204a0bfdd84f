import { DecisionReason } from '@girok/contracts/auth/v1/auth';
import type { RoleScopeValue, SanctionTypeValue } from '../schema/database.ts';
import { firstMatch } from './permission-rules.ts';
import { banMessage, isBan } from './sanction-rules.ts';

/** A sanction in force now (revoked ones, and those not yet started or already over, are left out). */
export interface SanctionInForce {
  readonly id: string;
  readonly type: SanctionTypeValue;
  readonly features: readonly string[];
  readonly endsAt: Date | null;
}

/** A live role assignment with its role's permissions. */
export interface RoleGrant {
  readonly roleName: string;
  readonly level: number;
  readonly scope: RoleScopeValue;
  /** The assignment's service ('' for platform roles). */
  readonly service: string;
  readonly permissions: readonly string[];
}

/** A live operator assignment. */
export interface OperatorGrant {
  readonly id: string;
  readonly service: string;
  readonly country: string;
  readonly permissions: readonly string[];
}

/** Everything that decides what one account may do now, read in one round trip. */
export interface AccessSnapshot {
  readonly sanctions: readonly SanctionInForce[];
  readonly roles: readonly RoleGrant[];
  readonly operators: readonly OperatorGrant[];
}

export interface PermissionQueryInput {
  readonly permission: string;
  readonly service: string;
  readonly country: string;
}

export interface Decision {
  readonly permission: string;
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  readonly matched: string;
  readonly explanation: string;
}

/**
 * The ban that applies, if any: a permanent ban wins over temporary ones, and of those the one
 * ending last (what the account has to wait for).
 */
export function activeBan(sanctions: readonly SanctionInForce[]): SanctionInForce | undefined {
  const bans = sanctions.filter((s) => isBan(s.type));
  return (
    bans.find((s) => s.type === 'PERMANENT_BAN') ??
    bans.toSorted((a, b) => (b.endsAt?.getTime() ?? 0) - (a.endsAt?.getTime() ?? 0))[0]
  );
}

function where(query: PermissionQueryInput): string {
  const parts = [
    query.service === '' ? '' : `service ${query.service}`,
    query.country === '' ? '' : `country ${query.country}`,
  ].filter((p) => p !== '');
  return parts.length === 0 ? '' : ` in ${parts.join(', ')}`;
}

/**
 * One permission check, in a fixed order: a ban denies everything; a feature restriction denies
 * what it lists; then a role assignment grants (service-scoped roles only for their own service),
 * then an operator assignment (same service and country); otherwise nothing grants it.
 */
export function decide(snapshot: AccessSnapshot, query: PermissionQueryInput): Decision {
  const { permission } = query;
  const ban = activeBan(snapshot.sanctions);
  if (ban !== undefined) {
    return {
      permission,
      allowed: false,
      reason: DecisionReason.ACCOUNT_BANNED,
      matched: ban.id,
      explanation: `${banMessage(ban)}, so nothing is allowed`,
    };
  }
  for (const sanction of snapshot.sanctions) {
    if (sanction.type !== 'FEATURE_RESTRICTION') continue;
    const feature = firstMatch(sanction.features, permission);
    if (feature !== undefined) {
      return {
        permission,
        allowed: false,
        reason: DecisionReason.FEATURE_RESTRICTED,
        matched: sanction.id,
        explanation: `A feature restriction on ${feature} denies ${permission}`,
      };
    }
  }
  const roles = snapshot.roles.toSorted((a, b) => b.level - a.level || a.roleName.localeCompare(b.roleName));
  for (const role of roles) {
    if (role.scope === 'SERVICE' && (query.service === '' || role.service !== query.service)) continue;
    const pattern = firstMatch(role.permissions, permission);
    if (pattern !== undefined) {
      const scope = role.scope === 'SERVICE' ? ` in service ${role.service}` : '';
      return {
        permission,
        allowed: true,
        reason: DecisionReason.ROLE_GRANTED,
        matched: role.roleName,
        explanation: `Role ${role.roleName}${scope} grants ${permission}${pattern === permission ? '' : ` through ${pattern}`}`,
      };
    }
  }
  for (const grant of snapshot.operators) {
    if (grant.service !== query.service || grant.country !== query.country) continue;
    const pattern = firstMatch(grant.permissions, permission);
    if (pattern !== undefined) {
      return {
        permission,
        allowed: true,
        reason: DecisionReason.OPERATOR_ASSIGNMENT_GRANTED,
        matched: grant.id,
        explanation: `Operator assignment for ${grant.service} in ${grant.country} grants ${permission}`,
      };
    }
  }
  return {
    permission,
    allowed: false,
    reason: DecisionReason.NO_MATCHING_GRANT,
    matched: '',
    explanation: `No role or operator assignment of this account grants ${permission}${where(query)}`,
  };
}

/**
 * The `scope` an access token carries: admins hold their roles' permissions, operators their
 * assignments' (a coarse summary: the service, country and restrictions are checked by
 * CheckPermission); users hold none.
 */
export function tokenScope(snapshot: AccessSnapshot, mode: 'USER' | 'ADMIN' | 'OPERATOR'): string[] {
  const grants =
    mode === 'ADMIN' ? snapshot.roles : mode === 'OPERATOR' ? snapshot.operators : ([] as RoleGrant[]);
  return [...new Set(grants.flatMap((grant) => grant.permissions))].sort();
}
