import { AuditService } from '@girok/contracts/audit/v1/audit';
import { DomainError } from '@girok/kit/errors';
import { createGrpcClient } from '@girok/kit/grpc';
import { createPolicy } from '@girok/kit/resilience';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from './platform.ts';

/** What a call with `metadata` ends in: 'ok', or the error's code. */
const outcome = (call: Promise<unknown>) =>
  call.then(
    () => 'ok',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe('an access token stops working everywhere within a second of its session being revoked', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('legal and audit refuse the token of a revoked session by the event, long before it expires', async () => {
    const user = platform.newUser();
    const { account } = await platform.identityGrpc.createAccount({ ...user, locale: 'en-US' });
    const accountId = account?.id ?? '';
    const login = await platform.identityGrpc.authenticate({
      identifier: user.email,
      password: user.password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (login.result.case !== 'session') throw new Error(`expected a session, got ${login.result.case}`);
    const sessionId = login.result.value.session?.id ?? '';
    const { accessToken } = await platform.authGrpc.issueAccessToken({ sessionId });
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${accessToken}`);
    const audit = createGrpcClient(AuditService, platform.audit.grpcAddress, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'revocation-test', retry: { maxRetries: 0 } }),
    });
    try {
      const legalCall = () => outcome(platform.legalGrpc.listConsents({ accountId }, { metadata }));
      const auditCall = () => outcome(audit.listLoginHistory({ accountId }, { metadata }));
      const identityCall = () => outcome(platform.identityGrpc.listSessions({ accountId }, { metadata }));
      expect([await legalCall(), await auditCall(), await identityCall()]).toEqual(['ok', 'ok', 'ok']);

      // The user ends the session (as on logout elsewhere or reuse detection): the token itself is
      // still signed and unexpired for another ~15 minutes.
      const revokedAt = performance.now();
      await platform.identityGrpc.revokeSession({ accountId, sessionId }, { metadata });
      const refusedAfter: Record<string, number> = {};
      while (Object.keys(refusedAfter).length < 3 && performance.now() - revokedAt < 5_000) {
        for (const [name, call] of [
          ['legal', legalCall],
          ['audit', auditCall],
          ['identity', identityCall],
        ] as const) {
          if (name in refusedAfter) continue;
          const result = await call();
          if (result === 'SESSION_REVOKED') refusedAfter[name] = performance.now() - revokedAt;
          else expect(result).toBe('ok');
        }
      }
      expect(Object.keys(refusedAfter).sort()).toEqual(['audit', 'identity', 'legal']);
      for (const [name, ms] of Object.entries(refusedAfter)) expect(ms, name).toBeLessThan(1_000);
    } finally {
      audit.close();
    }
  });
});
