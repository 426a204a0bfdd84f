import { DeletionMode } from '@girok/contracts/identity/v1/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

describe('sessions as refresh-token families', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity({ REFRESH_GRACE_MS: '2000' });
  });
  afterAll(async () => {
    await identity?.close();
  });

  async function login(fingerprint = 'device-a') {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.9', fingerprint),
    });
    if (response.result.case !== 'session') throw new Error('expected a session');
    return { input, accountId: account?.id ?? '', grant: response.result.value };
  }

  it('rotates the refresh token on every refresh and slides the idle expiry', async () => {
    const { grant } = await login();
    identity.clock.advance(60_000);
    const first = await identity.grpc.refreshSession({ refreshToken: grant.refreshToken });
    expect(first.session?.refreshToken).not.toBe(grant.refreshToken);
    expect(first.session?.session?.id).toBe(grant.session?.id);
    const before = grant.session?.idleExpiresAt?.seconds ?? 0n;
    expect(first.session?.session?.idleExpiresAt?.seconds ?? 0n).toBeGreaterThan(before);
    const second = await identity.grpc.refreshSession({ refreshToken: first.session?.refreshToken ?? '' });
    expect(second.session?.refreshToken).not.toBe(first.session?.refreshToken);
    identity.clock.offsetMs = 0;
  });

  it('a rotated token presented again after the grace window revokes every session of its family', async () => {
    const { grant, accountId } = await login();
    const rotated = await identity.grpc.refreshSession({ refreshToken: grant.refreshToken });
    const latest = await identity.grpc.refreshSession({ refreshToken: rotated.session?.refreshToken ?? '' });
    identity.clock.advance(5_000); // past the 2 s grace window of this suite
    const reuse = await failure(identity.grpc.refreshSession({ refreshToken: grant.refreshToken }));
    expect(reuse.code).toBe('REFRESH_TOKEN_REUSED');
    // The family is dead: even its newest token no longer works, and the session is invalid.
    const after = await failure(
      identity.grpc.refreshSession({ refreshToken: latest.session?.refreshToken ?? '' }),
    );
    expect(after.code).toMatch(/INVALID_REFRESH_TOKEN|REFRESH_TOKEN_REUSED/);
    const validity = await identity.grpc.validateSession({ sessionId: grant.session?.id ?? '' });
    expect(validity.valid).toBe(false);
    const sessions = await identity.grpc.listSessions({ accountId, includeRevoked: true });
    expect(sessions.sessions.map((s) => s.revokeReason)).toEqual(['REFRESH_TOKEN_REUSE']);
    identity.clock.offsetMs = 0;
  });

  it('two concurrent refreshes of one token: exactly one rotation, both callers get its successor, nobody is logged out', async () => {
    const { grant } = await login();
    const [a, b] = await Promise.all([
      identity.grpc.refreshSession({ refreshToken: grant.refreshToken }),
      identity.grpc.refreshSession({ refreshToken: grant.refreshToken }),
    ]);
    expect(a.session?.refreshToken).toBe(b.session?.refreshToken);
    const tokens = await identity.db
      .selectFrom('refresh_tokens')
      .select(['token_hash', 'rotated_at'])
      .where('session_id', '=', grant.session?.id ?? '')
      .execute();
    expect(tokens).toHaveLength(2); // the original and exactly one successor
    expect(tokens.filter((t) => t.rotated_at === null)).toHaveLength(1);
    const next = await identity.grpc.refreshSession({ refreshToken: a.session?.refreshToken ?? '' });
    expect(next.session?.session?.id).toBe(grant.session?.id);
  });

  it('ends user sessions after 7 idle days and 30 days absolute', async () => {
    const idle = await login();
    identity.clock.advance(7 * 86_400_000 + 1000);
    expect((await identity.grpc.validateSession({ sessionId: idle.grant.session?.id ?? '' })).valid).toBe(
      false,
    );
    expect(
      (await failure(identity.grpc.refreshSession({ refreshToken: idle.grant.refreshToken }))).code,
    ).toBe('INVALID_REFRESH_TOKEN');
    identity.clock.offsetMs = 0;

    const active = await login();
    let token = active.grant.refreshToken;
    for (const days of [6, 6, 6, 6, 5]) {
      identity.clock.advance(days * 86_400_000); // used within every 7-day window, up to day 29
      token = (await identity.grpc.refreshSession({ refreshToken: token })).session?.refreshToken ?? '';
    }
    identity.clock.advance(2 * 86_400_000); // day 31: still used regularly, but past the 30-day cap
    expect((await failure(identity.grpc.refreshSession({ refreshToken: token }))).code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    identity.clock.offsetMs = 0;
  });

  it('gives admin sessions 8 h idle / 24 h absolute', async () => {
    const input = newAccount({ mode: 2, password: `Admin passphrase ${Date.now()}` });
    await identity.grpc.createAccount(input);
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (response.result.case !== 'session') throw new Error('expected a session');
    const session = response.result.value.session;
    const created = Number(session?.createdAt?.seconds ?? 0n);
    expect(Number(session?.idleExpiresAt?.seconds ?? 0n) - created).toBe(8 * 3600);
    expect(Number(session?.expiresAt?.seconds ?? 0n) - created).toBe(24 * 3600);
    expect(session?.mfaVerified).toBe(false);
    expect(response.result.value.account?.mfaEnrollmentRequired).toBe(true);
  });

  it("a deleted account's sessions stop validating at once and cannot refresh", async () => {
    const { grant, accountId } = await login();
    expect((await identity.grpc.validateSession({ sessionId: grant.session?.id ?? '' })).valid).toBe(true);
    await identity.grpc.deleteAccount({ accountId, mode: DeletionMode.IMMEDIATE });
    expect((await identity.grpc.validateSession({ sessionId: grant.session?.id ?? '' })).valid).toBe(false);
    expect((await failure(identity.grpc.refreshSession({ refreshToken: grant.refreshToken }))).code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    const account = await identity.db
      .selectFrom('accounts')
      .select(['email', 'status'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(account.status).toBe('DELETED');
    expect(account.email).not.toContain('example.com');
    expect(
      await identity.db
        .selectFrom('credentials')
        .select('account_id')
        .where('account_id', '=', accountId)
        .execute(),
    ).toEqual([]);
  });

  it('scheduled deletion revokes sessions now, keeps the account 30 days, can be cancelled, and is swept after', async () => {
    const { grant, accountId, input } = await login();
    const scheduled = await identity.grpc.deleteAccount({ accountId, mode: DeletionMode.SCHEDULED });
    expect(scheduled.account?.status).toBe(2); // PENDING_DELETION
    expect((await identity.grpc.validateSession({ sessionId: grant.session?.id ?? '' })).valid).toBe(false);
    await identity.grpc.cancelAccountDeletion({ accountId });
    await identity.grpc.deleteAccount({ accountId, mode: DeletionMode.SCHEDULED });
    identity.clock.advance(29 * 86_400_000);
    expect(
      await identity.service.app
        .get((await import('../src/services/account.service.ts')).AccountService)
        .sweepDueDeletions(),
    ).toBe(0);
    identity.clock.advance(86_400_000 + 1000);
    expect(
      await identity.service.app
        .get((await import('../src/services/account.service.ts')).AccountService)
        .sweepDueDeletions(),
    ).toBe(1);
    identity.clock.offsetMs = 0;
    const gone = await failure(
      identity.grpc.authenticate({
        identifier: input.email,
        password: input.password,
        client: { ipAddress: '203.0.113.7' },
      }),
    );
    expect(gone.code).toBe('INVALID_CREDENTIALS');
  });

  it('revoking a device revokes its sessions only', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const onA = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.1', 'phone'),
    });
    const onB = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.2', 'laptop'),
    });
    if (onA.result.case !== 'session' || onB.result.case !== 'session') throw new Error('expected sessions');
    const devices = await identity.grpc.listDevices({ accountId: account?.id ?? '' });
    expect(devices.devices.map((d) => d.fingerprint).sort()).toEqual(['laptop', 'phone']);
    const phone = devices.devices.find((d) => d.fingerprint === 'phone');
    const result = await identity.grpc.revokeDevice({
      accountId: account?.id ?? '',
      deviceId: phone?.id ?? '',
    });
    expect(result.revokedSessions).toBe(1);
    expect(
      (await identity.grpc.validateSession({ sessionId: onA.result.value.session?.id ?? '' })).valid,
    ).toBe(false);
    expect(
      (await identity.grpc.validateSession({ sessionId: onB.result.value.session?.id ?? '' })).valid,
    ).toBe(true);
  });
});
