import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWASP_ARGON2ID, PasswordHasher } from '../src/crypto/password-hasher.ts';
import { base32Decode, totpCode } from '../src/crypto/totp.ts';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

describe('passwords, devices and profiles', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  async function loginSession(input: { email: string; password: string }, fingerprint: string) {
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.20', fingerprint),
    });
    if (response.result.case !== 'session')
      throw new Error(`expected a session, got ${response.result.case}`);
    return response.result.value;
  }

  it('a new password may not repeat any of the last 5; other sessions end, the kept one stays', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const keep = await loginSession(input, 'keep');
    const other = await loginSession(input, 'other');
    const passwords = [
      input.password,
      ...Array.from({ length: 5 }, (_, i) => `Rotated passphrase no ${i} ${Date.now()}`),
    ];
    for (let i = 1; i <= 4; i += 1) {
      const changed = await identity.grpc.changePassword({
        accountId,
        currentPassword: passwords[i - 1] ?? '',
        newPassword: passwords[i] ?? '',
        keepSessionId: keep.session?.id ?? '',
      });
      if (i === 1) expect(changed.revokedSessions).toBe(1);
    }
    expect((await identity.grpc.validateSession({ sessionId: other.session?.id ?? '' })).valid).toBe(false);
    expect((await identity.grpc.validateSession({ sessionId: keep.session?.id ?? '' })).valid).toBe(true);
    // Current is passwords[4]; passwords[0..3] are the 4 before it: all 5 refused.
    for (const old of passwords.slice(0, 5)) {
      const error = await failure(
        identity.grpc.changePassword({ accountId, currentPassword: passwords[4] ?? '', newPassword: old }),
      );
      expect(error.code).toBe('PASSWORD_REUSED');
      expect(error.fieldViolations[0]?.field).toBe('new_password');
    }
    await identity.grpc.changePassword({
      accountId,
      currentPassword: passwords[4] ?? '',
      newPassword: passwords[5] ?? '',
    });
    // passwords[0] is now six changes back: allowed again.
    await identity.grpc.changePassword({
      accountId,
      currentPassword: passwords[5] ?? '',
      newPassword: passwords[0] ?? '',
    });
    const history = await identity.db
      .selectFrom('password_history')
      .select('id')
      .where('account_id', '=', accountId)
      .execute();
    expect(history).toHaveLength(4);
  });

  it('refuses a wrong current password and a common new one', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const wrong = await failure(
      identity.grpc.changePassword({
        accountId: account?.id ?? '',
        currentPassword: 'not it at all',
        newPassword: 'Another good passphrase',
      }),
    );
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    const common = await failure(
      identity.grpc.changePassword({
        accountId: account?.id ?? '',
        currentPassword: input.password,
        newPassword: 'password123',
      }),
    );
    expect(common.fieldViolations.map((v) => v.field)).toContain('new_password');
  });

  it('upgrades a hash made with older parameters on the next successful login', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const weak = await new PasswordHasher({ ...OWASP_ARGON2ID, memoryKiB: 4096, passes: 1 }).hash(
      input.password,
    );
    await identity.db
      .updateTable('credentials')
      .set({ password_hash: weak })
      .where('account_id', '=', account?.id ?? '')
      .execute();
    await loginSession(input, 'upgrade');
    const stored = await identity.db
      .selectFrom('credentials')
      .select('password_hash')
      .where('account_id', '=', account?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await loginSession(input, 'upgrade'); // and the upgraded hash verifies
  });

  it('a trusted device skips the TOTP step for a user; an untrusted one does not', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const begin = await identity.grpc.beginTotpEnrollment({ accountId });
    const code = () => totpCode(base32Decode(begin.secret), identity.clock.now().getTime());
    await identity.grpc.confirmTotpEnrollment({ accountId, code: code() });
    identity.clock.advance(30_000);
    // Trusting needs a session that completed the second factor on that very device.
    const challenged = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.20', 'home-laptop'),
    });
    if (challenged.result.case !== 'mfaChallenge') throw new Error('expected an MFA challenge');
    const { session: home } = await identity.grpc.verifyMfaChallenge({
      challengeId: challenged.result.value.challengeId,
      code: { case: 'totpCode', value: code() },
    });
    const metadata = new Metadata();
    const token = await identity.callers.userToken({ accountId, sessionId: home?.session?.id ?? '' });
    metadata.set('authorization', `Bearer ${token}`);
    await identity.grpc.trustDevice(
      { accountId, deviceId: home?.session?.deviceId ?? '', trusted: true },
      { metadata },
    );
    const trusted = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.20', 'home-laptop'),
    });
    expect(trusted.result.case).toBe('session');
    const elsewhere = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.21', 'cafe-pc'),
    });
    expect(elsewhere.result.case).toBe('mfaChallenge');
  });

  it('validates profile fields and names each bad one', async () => {
    const { account } = await identity.grpc.createAccount(newAccount());
    const accountId = account?.id ?? '';
    const error = await failure(
      identity.grpc.updateProfile({
        accountId,
        phoneNumber: '12345',
        birthDate: '2999-01-01',
        avatarUrl: 'http://insecure.example/a.png',
      }),
    );
    expect(error.fieldViolations.map((v) => v.field).sort()).toEqual([
      'avatar_url',
      'birth_date',
      'phone_number',
    ]);
    const { profile } = await identity.grpc.updateProfile({
      accountId,
      displayName: 'Ada',
      phoneNumber: '+821012345678',
      birthDate: '1990-04-01',
    });
    expect(profile).toMatchObject({
      displayName: 'Ada',
      phoneNumber: '+821012345678',
      birthDate: '1990-04-01',
    });
    expect((await identity.grpc.getProfile({ accountId })).profile?.displayName).toBe('Ada');
  });
});
