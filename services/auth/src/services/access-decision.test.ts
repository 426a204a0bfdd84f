import { DecisionReason } from '@girok/contracts/auth/v1/auth';
import { describe, expect, it } from 'vitest';
import {
  type AccessSnapshot,
  activeBan,
  decide,
  type OperatorGrant,
  type RoleGrant,
  type SanctionInForce,
  tokenScope,
} from './access-decision.ts';

const role = (overrides: Partial<RoleGrant> = {}): RoleGrant => ({
  roleName: 'support',
  level: 10,
  scope: 'PLATFORM',
  service: '',
  permissions: ['account:read', 'session:read_all'],
  ...overrides,
});
const operator = (overrides: Partial<OperatorGrant> = {}): OperatorGrant => ({
  id: 'op-1',
  service: 'identity-service',
  country: 'KR',
  permissions: ['account:read'],
  ...overrides,
});
const sanction = (overrides: Partial<SanctionInForce> = {}): SanctionInForce => ({
  id: 'sanction-1',
  type: 'WARNING',
  features: [],
  endsAt: null,
  ...overrides,
});
const snapshot = (overrides: Partial<AccessSnapshot> = {}): AccessSnapshot => ({
  sanctions: [],
  roles: [],
  operators: [],
  ...overrides,
});
const query = (permission: string, service = '', country = '') => ({ permission, service, country });

describe('permission decisions', () => {
  it('a role holding the permission grants it, named by the role', () => {
    const decision = decide(snapshot({ roles: [role()] }), query('account:read'));
    expect(decision).toMatchObject({
      allowed: true,
      reason: DecisionReason.ROLE_GRANTED,
      matched: 'support',
    });
    expect(decision.explanation).toBe('Role support grants account:read');
  });

  it('wildcards: * grants everything, resource:* every action of its resource only', () => {
    const admin = snapshot({ roles: [role({ roleName: 'super_admin', level: 100, permissions: ['*'] })] });
    expect(decide(admin, query('legal_document:manage')).allowed).toBe(true);
    const sessions = snapshot({ roles: [role({ roleName: 'session_ops', permissions: ['session:*'] })] });
    const granted = decide(sessions, query('session:revoke_any'));
    expect(granted).toMatchObject({ allowed: true, matched: 'session_ops' });
    expect(granted.explanation).toContain('through session:*');
    expect(decide(sessions, query('account:read')).reason).toBe(DecisionReason.NO_MATCHING_GRANT);
  });

  it('of several matching roles the highest level is named', () => {
    const decision = decide(
      snapshot({
        roles: [role(), role({ roleName: 'security_admin', level: 50, permissions: ['session:read_all'] })],
      }),
      query('session:read_all'),
    );
    expect(decision.matched).toBe('security_admin');
  });

  it('a service-scoped role grants only when the query names its service', () => {
    const scoped = snapshot({
      roles: [
        role({
          roleName: 'legal_editor',
          scope: 'SERVICE',
          service: 'legal-service',
          permissions: ['legal_document:manage'],
        }),
      ],
    });
    expect(decide(scoped, query('legal_document:manage', 'legal-service'))).toMatchObject({
      allowed: true,
      reason: DecisionReason.ROLE_GRANTED,
      matched: 'legal_editor',
    });
    expect(decide(scoped, query('legal_document:manage', 'identity-service')).allowed).toBe(false);
    expect(decide(scoped, query('legal_document:manage')).allowed).toBe(false);
  });

  it('an operator assignment grants only for its service and country', () => {
    const ops = snapshot({ operators: [operator()] });
    expect(decide(ops, query('account:read', 'identity-service', 'KR'))).toMatchObject({
      allowed: true,
      reason: DecisionReason.OPERATOR_ASSIGNMENT_GRANTED,
      matched: 'op-1',
    });
    expect(decide(ops, query('account:read', 'identity-service', 'JP')).reason).toBe(
      DecisionReason.NO_MATCHING_GRANT,
    );
    expect(decide(ops, query('account:read', 'legal-service', 'KR')).allowed).toBe(false);
    expect(decide(ops, query('account:read')).allowed).toBe(false);
    expect(decide(ops, query('account:manage', 'identity-service', 'KR')).allowed).toBe(false);
  });

  it('a role grant is preferred over an operator assignment', () => {
    const both = snapshot({ roles: [role()], operators: [operator()] });
    expect(decide(both, query('account:read', 'identity-service', 'KR')).reason).toBe(
      DecisionReason.ROLE_GRANTED,
    );
  });

  it('a ban denies everything, even what a * role grants, and names the ban', () => {
    const banned = snapshot({
      roles: [role({ permissions: ['*'] })],
      sanctions: [sanction({ id: 'ban-1', type: 'TEMPORARY_BAN', endsAt: new Date('2030-01-01T00:00:00Z') })],
    });
    const decision = decide(banned, query('account:read'));
    expect(decision).toMatchObject({
      allowed: false,
      reason: DecisionReason.ACCOUNT_BANNED,
      matched: 'ban-1',
    });
    expect(decision.explanation).toContain('until 2030-01-01T00:00:00.000Z');
  });

  it('a feature restriction denies the features it lists (wildcards too) before any grant', () => {
    const restricted = snapshot({
      roles: [role({ permissions: ['*'] })],
      sanctions: [sanction({ id: 'fr-1', type: 'FEATURE_RESTRICTION', features: ['session:*'] })],
    });
    expect(decide(restricted, query('session:read_all'))).toMatchObject({
      allowed: false,
      reason: DecisionReason.FEATURE_RESTRICTED,
      matched: 'fr-1',
    });
    expect(decide(restricted, query('account:read')).reason).toBe(DecisionReason.ROLE_GRANTED);
  });

  it('a warning changes nothing', () => {
    const warned = snapshot({ roles: [role()], sanctions: [sanction()] });
    expect(decide(warned, query('account:read')).allowed).toBe(true);
  });

  it('nothing granting it: NO_MATCHING_GRANT, saying where it was asked', () => {
    const decision = decide(snapshot(), query('account:manage', 'identity-service', 'KR'));
    expect(decision).toEqual({
      permission: 'account:manage',
      allowed: false,
      reason: DecisionReason.NO_MATCHING_GRANT,
      matched: '',
      explanation:
        'No role or operator assignment of this account grants account:manage in service identity-service, country KR',
    });
  });
});

describe('activeBan and token scope', () => {
  it('a permanent ban wins; of temporary bans the one ending last', () => {
    const early = sanction({ id: 'early', type: 'TEMPORARY_BAN', endsAt: new Date('2030-01-01') });
    const late = sanction({ id: 'late', type: 'TEMPORARY_BAN', endsAt: new Date('2031-01-01') });
    const forever = sanction({ id: 'forever', type: 'PERMANENT_BAN' });
    expect(activeBan([early, late])?.id).toBe('late');
    expect(activeBan([early, forever, late])?.id).toBe('forever');
    expect(
      activeBan([sanction(), sanction({ type: 'FEATURE_RESTRICTION', features: ['a:b'] })]),
    ).toBeUndefined();
  });

  it('admins carry their roles’ permissions, operators their assignments’, users none', () => {
    const access = snapshot({
      roles: [role(), role({ roleName: 'security_admin', permissions: ['audit:read', 'session:read_all'] })],
      operators: [operator({ permissions: ['dsr:manage', 'account:read'] })],
    });
    expect(tokenScope(access, 'ADMIN')).toEqual(['account:read', 'audit:read', 'session:read_all']);
    expect(tokenScope(access, 'OPERATOR')).toEqual(['account:read', 'dsr:manage']);
    expect(tokenScope(access, 'USER')).toEqual([]);
  });
});
