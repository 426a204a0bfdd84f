import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totpCode } from '../src/crypto/totp.ts';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

describe('MFA: TOTP, backup codes and the login challenge', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  /** An account with TOTP enrolled; returns what the user would keep. */
  async function enrolled() {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const begin = await identity.grpc.beginTotpEnrollment({ accountId });
    expect(begin.provisioningUri).toMatch(/^otpauth:\/\/totp\//);
    const secret = base32Decode(begin.secret);
    const code = (offsetSteps = 0) => totpCode(secret, identity.clock.now().getTime() + offsetSteps * 30_000);
    const { backupCodes } = await identity.grpc.confirmTotpEnrollment({ accountId, code: code() });
    expect(backupCodes).toHaveLength(10);
    // Later codes must come from a later time step (a step is accepted once).
    identity.clock.advance(30_000);
    return { input, accountId, code, backupCodes };
  }

  async function challenge(input: { email: string; password: string }) {
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client(),
    });
    if (response.result.case !== 'mfaChallenge')
      throw new Error(`expected an MFA challenge, got ${response.result.case}`);
    expect(response.result.value.attemptsLeft).toBe(3);
    return response.result.value.challengeId;
  }

  it('stores the TOTP secret encrypted, never in clear', async () => {
    const { accountId } = await enrolled();
    const row = await identity.db
      .selectFrom('mfa_totp')
      .select('secret_encrypted')
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(row.secret_encrypted).toMatch(/^v1\.k1\./);
    const begin = await failure(identity.grpc.beginTotpEnrollment({ accountId }));
    expect(begin.code).toBe('MFA_ALREADY_ENABLED');
  });

  it('a password login becomes a challenge; a right TOTP code finishes it with an MFA-verified session', async () => {
    const { input, code } = await enrolled();
    const challengeId = await challenge(input);
    const done = await identity.grpc.verifyMfaChallenge({
      challengeId,
      code: { case: 'totpCode', value: code() },
    });
    expect(done.session?.session?.mfaVerified).toBe(true);
    // The challenge is spent.
    const again = await failure(
      identity.grpc.verifyMfaChallenge({ challengeId, code: { case: 'totpCode', value: code() } }),
    );
    expect(again.code).toBe('MFA_CHALLENGE_EXPIRED');
  });

  it('a code is accepted once: replaying the same time step fails', async () => {
    const { input, code } = await enrolled();
    const used = code();
    await identity.grpc.verifyMfaChallenge({
      challengeId: await challenge(input),
      code: { case: 'totpCode', value: used },
    });
    const replay = await failure(
      identity.grpc.verifyMfaChallenge({
        challengeId: await challenge(input),
        code: { case: 'totpCode', value: used },
      }),
    );
    expect(replay.code).toBe('MFA_CODE_INVALID');
  });

  it('wrong codes count down; the third wrong one exhausts the challenge even before a right one', async () => {
    const { input, code } = await enrolled();
    const challengeId = await challenge(input);
    const wrong = code() === '000000' ? '111111' : '000000';
    const first = await failure(
      identity.grpc.verifyMfaChallenge({ challengeId, code: { case: 'totpCode', value: wrong } }),
    );
    expect(first.code).toBe('MFA_CODE_INVALID');
    expect(first.message).toContain('2 attempt');
    await failure(
      identity.grpc.verifyMfaChallenge({ challengeId, code: { case: 'totpCode', value: wrong } }),
    );
    const third = await failure(
      identity.grpc.verifyMfaChallenge({ challengeId, code: { case: 'totpCode', value: wrong } }),
    );
    expect(third.code).toBe('MFA_CHALLENGE_EXHAUSTED');
    const right = await failure(
      identity.grpc.verifyMfaChallenge({ challengeId, code: { case: 'totpCode', value: code() } }),
    );
    expect(right.code).toBe('MFA_CHALLENGE_EXPIRED');
  });

  it('a challenge expires after 5 minutes (its Valkey key is gone)', async () => {
    const { input } = await enrolled();
    const challengeId = await challenge(input);
    const store = (await import('../src/tokens.ts')).KV_STORE;
    const kv = identity.service.app.get<import('@girok/kit/cache').KeyValueStore>(store);
    const ttl = await kv.ttlMs(`mfa:challenge:${challengeId}`);
    expect(ttl).toBeGreaterThan(4 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);
  });

  it('a backup code logs in once, and only once', async () => {
    const { input, backupCodes } = await enrolled();
    const [backup] = backupCodes;
    const done = await identity.grpc.verifyMfaChallenge({
      challengeId: await challenge(input),
      code: { case: 'backupCode', value: backup ?? '' },
    });
    expect(done.session?.session?.mfaVerified).toBe(true);
    const reuse = await failure(
      identity.grpc.verifyMfaChallenge({
        challengeId: await challenge(input),
        code: { case: 'backupCode', value: backup ?? '' },
      }),
    );
    expect(reuse.code).toBe('MFA_CODE_INVALID');
    const stored = await identity.db
      .selectFrom('mfa_backup_codes')
      .select(['code_hash', 'used_at'])
      .execute();
    expect(stored.map((row) => row.code_hash)).not.toContain(backup);
  });

  it('disabling MFA needs a valid code; admins cannot disable it', async () => {
    const { accountId, code, input } = await enrolled();
    expect((await failure(identity.grpc.disableMfa({ accountId, code: '123456' }))).code).toBe(
      'MFA_CODE_INVALID',
    );
    await identity.grpc.disableMfa({ accountId, code: code() });
    const login = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    expect(login.result.case).toBe('session');

    const admin = newAccount({ mode: 2, password: `Long admin passphrase ${Date.now()}` });
    const { account } = await identity.grpc.createAccount(admin);
    const begin = await identity.grpc.beginTotpEnrollment({ accountId: account?.id ?? '' });
    const secret = base32Decode(begin.secret);
    await identity.grpc.confirmTotpEnrollment({
      accountId: account?.id ?? '',
      code: totpCode(secret, identity.clock.now().getTime()),
    });
    identity.clock.advance(30_000);
    const refused = await failure(
      identity.grpc.disableMfa({
        accountId: account?.id ?? '',
        code: totpCode(secret, identity.clock.now().getTime()),
      }),
    );
    expect(refused.code).toBe('MFA_REQUIRED');
  });
});
