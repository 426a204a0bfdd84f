import { describe, expect, it } from 'vitest';
import { type PasswordCandidate, PasswordPolicy } from './password-policy.ts';

const policy = new PasswordPolicy();
const descriptions = (candidate: PasswordCandidate) => policy.check(candidate).map((v) => v.description);
const user = (password: string, extra: Partial<PasswordCandidate> = {}): PasswordCandidate => ({
  password,
  mode: 'USER',
  email: 'jane.doe@example.com',
  username: 'JaneD',
  ...extra,
});

describe('PasswordPolicy', () => {
  it('accepts a reasonable password with no violations', () => {
    expect(policy.check(user('plum-tractor-47'))).toEqual([]);
  });

  it('needs 8 characters for users and 12 for admins and operators', () => {
    expect(descriptions(user('k7#vQz1'))).toEqual(['Password must be at least 8 characters long']);
    expect(policy.check(user('k7#vQz1m'))).toEqual([]);
    for (const mode of ['ADMIN', 'OPERATOR'] as const) {
      expect(descriptions(user('k7#vQz1mXp2', { mode }))).toEqual([
        'Password must be at least 12 characters long for administrator and operator accounts',
      ]);
      expect(policy.check(user('k7#vQz1mXp2w', { mode }))).toEqual([]);
    }
  });

  it('counts characters, not UTF-16 units, and caps the length at 128', () => {
    // 7 emoji are 14 UTF-16 units but only 7 characters.
    expect(descriptions(user('🍎🍐🍊🍋🍌🍉🍇'))).toEqual(['Password must be at least 8 characters long']);
    const long = Array.from({ length: 128 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    expect(policy.check(user(long))).toEqual([]);
    expect(descriptions(user(`${long}!`))).toEqual(['Password must be at most 128 characters long']);
  });

  it('refuses the email, its local part or the username, whatever the case', () => {
    const same = 'Password must not be the same as your email address or username';
    expect(descriptions(user('JANE.DOE@EXAMPLE.COM'))).toEqual([same]);
    expect(descriptions(user('Jane.Doe'))).toEqual([same]);
    expect(descriptions(user('janed1234', { username: 'JaneD1234' }))).toEqual([same]);
    expect(policy.check(user('jane.doe@example.com', { email: 'other@example.com', username: 'x' }))).toEqual(
      [],
    );
  });

  it('refuses common passwords from the list by exact, case-insensitive match', () => {
    const common = 'Password is too common or too easy to guess; choose a longer or less predictable one';
    for (const password of ['password1', 'PassWord123', 'iloveyou', 'qwertyuiop', 'P@ssw0rd', 'baseball']) {
      expect(descriptions(user(password))).toEqual([common]);
    }
    // Exact match only: a common password inside a longer one is not refused by this rule.
    expect(policy.check(user('password1-plum-tractor'))).toEqual([]);
  });

  it('refuses repeats and straight runs that the list leaves to pattern matchers', () => {
    const common = 'Password is too common or too easy to guess; choose a longer or less predictable one';
    for (const password of ['aaaaaaaa', 'abcdefgh', '87654321', '12341234', 'qwerqwer', 'ZYXWVUTSRQPO']) {
      expect(descriptions(user(password))).toEqual([common]);
    }
    expect(policy.check(user('abcdefgz'))).toEqual([]);
  });

  it('reports every broken rule at once, all on the password field, never echoing the password', () => {
    const violations = policy.check(user('qwerty', { mode: 'ADMIN' }));
    expect(violations).toHaveLength(2);
    for (const violation of violations) {
      expect(violation.field).toBe('password');
      expect(violation.description.toLowerCase()).not.toContain('qwerty');
    }
  });

  it('uses an injected list instead of the default one', () => {
    const custom = new PasswordPolicy({ commonPasswords: new Set(['girok-rocks']) });
    expect(custom.check(user('Girok-Rocks'))).toHaveLength(1);
    expect(custom.check(user('password1'))).toEqual([]);
  });
});
