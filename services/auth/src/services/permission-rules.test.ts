import { DomainError, Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import {
  checkPermissionList,
  firstMatch,
  isConcretePermission,
  isPermissionPattern,
  permissionMatches,
} from './permission-rules.ts';

function violations(run: (v: Violations) => void) {
  const v = new Violations();
  run(v);
  try {
    v.throwIfAny();
    return [];
  } catch (error) {
    return (error as DomainError).fieldViolations.map((f) => f.field);
  }
}

describe('permission names', () => {
  it('accept resource:action in lower snake case, resource:* and *', () => {
    for (const name of [
      'session:read_all',
      'account:read',
      'signing_key:manage',
      'session:*',
      '*',
      'a1:b2',
    ]) {
      expect(isPermissionPattern(name), name).toBe(true);
    }
  });

  it('refuse everything else', () => {
    for (const name of [
      '',
      'session',
      'Session:read',
      'session:Read',
      'session:read-all',
      '1session:read',
      'session:1read',
      '*:read',
      'session:**',
      'session:read:all',
      ' session:read',
      'session:',
      ':read',
      '**',
      `a:${'b'.repeat(200)}`,
    ]) {
      expect(isPermissionPattern(name), JSON.stringify(name)).toBe(false);
    }
  });

  it('a check asks about a concrete permission: no wildcard', () => {
    expect(isConcretePermission('session:read_all')).toBe(true);
    expect(isConcretePermission('session:*')).toBe(false);
    expect(isConcretePermission('*')).toBe(false);
  });
});

describe('permission matching', () => {
  it('* matches every permission', () => {
    expect(permissionMatches('*', 'session:read_all')).toBe(true);
    expect(permissionMatches('*', 'legal_document:manage')).toBe(true);
  });

  it('resource:* matches every action on that resource and nothing else', () => {
    expect(permissionMatches('session:*', 'session:read_all')).toBe(true);
    expect(permissionMatches('session:*', 'session:revoke_any')).toBe(true);
    expect(permissionMatches('session:*', 'account:read')).toBe(false);
    // A resource whose name starts with another's is not covered by it.
    expect(permissionMatches('session:*', 'sessions:read')).toBe(false);
    expect(permissionMatches('session:*', 'session_admin:read')).toBe(false);
  });

  it('a concrete permission matches only itself', () => {
    expect(permissionMatches('account:read', 'account:read')).toBe(true);
    expect(permissionMatches('account:read', 'account:read_all')).toBe(false);
    expect(permissionMatches('account:read', 'account:manage')).toBe(false);
  });

  it('firstMatch names the pattern that matched', () => {
    expect(firstMatch(['account:read', 'session:*'], 'session:revoke_any')).toBe('session:*');
    expect(firstMatch(['account:read'], 'session:revoke_any')).toBeUndefined();
  });
});

describe('permission lists', () => {
  const catalogue = new Set(['session:read_all', 'account:read']);

  it('name each bad entry by index; wildcards need not be in the catalogue', () => {
    expect(
      violations((v) =>
        checkPermissionList(v, 'permissions', ['account:read', 'Bad', 'account:delete', 'legal:*', '*'], {
          catalogue,
          min: 0,
          max: 10,
        }),
      ),
    ).toEqual(['permissions[1]', 'permissions[2]']);
  });

  it('enforce the size bounds and return the list de-duplicated and sorted', () => {
    expect(violations((v) => checkPermissionList(v, 'permissions', [], { min: 1, max: 3 }))).toEqual([
      'permissions',
    ]);
    expect(
      violations((v) => checkPermissionList(v, 'features', ['a:b', 'a:c', 'a:d', 'a:e'], { min: 1, max: 3 })),
    ).toEqual(['features']);
    const v = new Violations();
    expect(
      checkPermissionList(v, 'permissions', ['session:read_all', 'account:read', 'session:read_all'], {
        catalogue,
        min: 0,
        max: 10,
      }),
    ).toEqual(['account:read', 'session:read_all']);
    expect(() => v.throwIfAny()).not.toThrow();
  });

  it('without a catalogue only the syntax is checked (feature restrictions name any feature)', () => {
    expect(violations((v) => checkPermissionList(v, 'features', ['chat:send'], { min: 1, max: 10 }))).toEqual(
      [],
    );
  });

  it('throws a DomainError with INVALID_ARGUMENT', () => {
    const v = new Violations();
    checkPermissionList(v, 'permissions', ['nope'], { min: 0, max: 10 });
    expect(() => v.throwIfAny()).toThrow(DomainError);
  });
});
