import { timestampDate } from '@bufbuild/protobuf/wkt';
import { SanctionType, SigningKeyStatus, TokenType } from '@girok/contracts/auth/v1/auth';
import { AccountMode } from '@girok/contracts/identity/v1/identity';
import { isUuid } from '@girok/kit/ids';
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failure,
  pendingAudits,
  signUpAndLogin,
  signUpWithMfa,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const SUPPORT_ROLE = '00000000-0000-7000-8000-000000000003';
const SECURITY_ADMIN_ROLE = '00000000-0000-7000-8000-000000000002';

describe('access tokens for identity sessions', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    // No relay: the audit events stay in the outbox where the tests can read them.
    platform = await startTestPlatform({}, { relay: false });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('a USER session gets a USER_ACCESS token that the kit TokenVerifier accepts from the real JWKS', async () => {
    const { auth, identity } = platform;
    const { accountId, sessionId } = await signUpAndLogin(identity);
    const before = Math.floor(Date.now() / 1000);
    const issued = await auth.grpc.issueAccessToken({ sessionId });
    expect(issued.tokenType).toBe(TokenType.USER_ACCESS);
    expect(issued.scope).toEqual([]);
    expect(issued.notices).toEqual([]);

    const claims = await auth.verifier().verify(issued.accessToken);
    expect(claims).toMatchObject({
      sub: accountId,
      sid: sessionId,
      tokenType: 'USER_ACCESS',
      amr: ['pwd'],
      scope: [],
    });
    expect(isUuid(claims.jti)).toBe(true);
    expect(claims.expiresAt.getTime() - claims.issuedAt.getTime()).toBe(900_000);
    expect(issued.expiresAt && timestampDate(issued.expiresAt).getTime()).toBe(claims.expiresAt.getTime());

    // The exact wire format other services rely on.
    const { keys } = await auth.grpc.listSigningKeys({});
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({
      alg: 'ES256',
      kid: keys.find((k) => k.status === SigningKeyStatus.ACTIVE)?.kid,
      typ: 'at+jwt',
    });
    const payload = decodeJwt(issued.accessToken);
    expect(Object.keys(payload).sort()).toEqual([
      'amr',
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'sub',
      'token_type',
    ]);
    expect(payload).toMatchObject({ iss: auth.config.token.issuer, aud: 'girok', token_type: 'USER_ACCESS' });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
  });

  it('an ADMIN session without MFA gets no token (MFA_REQUIRED), and the refusal is audited', async () => {
    const { auth, identity } = platform;
    const { accountId, sessionId } = await signUpAndLogin(identity, AccountMode.ADMIN);
    const error = await failure(auth.grpc.issueAccessToken({ sessionId }));
    expect(error.code).toBe('MFA_REQUIRED');
    expect(error.grpcStatus).toBe(GrpcStatus.PERMISSION_DENIED);
    const audit = (await pendingAudits(auth.db)).find((a) => a.targetId === sessionId);
    expect(audit).toMatchObject({
      action: 'token.issue',
      actorId: accountId,
      result: 'AUDIT_RESULT_DENIED',
      reason: 'MFA_REQUIRED',
      metadata: { mode: 'ADMIN' },
    });
  });

  it('an ADMIN after TOTP gets ADMIN_ACCESS with amr pwd+otp and the scope of its roles', async () => {
    const { auth, identity } = platform;
    const admin = await signUpWithMfa(identity, AccountMode.ADMIN);
    await auth.grpc.assignRole({ accountId: admin.accountId, roleId: SECURITY_ADMIN_ROLE });
    await auth.grpc.assignRole({ accountId: admin.accountId, roleId: SUPPORT_ROLE });
    const issued = await auth.grpc.issueAccessToken({ sessionId: admin.sessionId });
    expect(issued.tokenType).toBe(TokenType.ADMIN_ACCESS);
    const expected = [
      'account:read',
      'audit:read',
      'sanction:manage',
      'session:read_all',
      'session:revoke_any',
    ];
    expect(issued.scope).toEqual(expected);
    const claims = await auth.verifier().verify(issued.accessToken);
    expect(claims).toMatchObject({
      sub: admin.accountId,
      sid: admin.sessionId,
      tokenType: 'ADMIN_ACCESS',
      amr: ['pwd', 'otp'],
      scope: expected,
    });
    expect(decodeJwt(issued.accessToken).scope).toBe(expected.join(' '));
  });

  it('an OPERATOR after TOTP gets OPERATOR_ACCESS with its assignments’ permissions', async () => {
    const { auth, identity } = platform;
    const operator = await signUpWithMfa(identity, AccountMode.OPERATOR);
    await auth.grpc.createOperatorAssignment({
      accountId: operator.accountId,
      service: 'identity-service',
      country: 'KR',
      permissions: ['account:read', 'dsr:manage'],
    });
    const issued = await auth.grpc.issueAccessToken({ sessionId: operator.sessionId });
    expect(issued.tokenType).toBe(TokenType.OPERATOR_ACCESS);
    const claims = await auth.verifier().verify(issued.accessToken);
    expect(claims).toMatchObject({ tokenType: 'OPERATOR_ACCESS', scope: ['account:read', 'dsr:manage'] });
  });

  it('a revoked session gets SESSION_INVALID; an id that never existed too', async () => {
    const { auth, identity } = platform;
    const { accountId, sessionId } = await signUpAndLogin(identity);
    await identity.revokeSession({ accountId, sessionId });
    const revoked = await failure(auth.grpc.issueAccessToken({ sessionId }));
    expect(revoked.code).toBe('SESSION_INVALID');
    expect(revoked.grpcStatus).toBe(GrpcStatus.UNAUTHENTICATED);
    const unknown = await failure(
      auth.grpc.issueAccessToken({ sessionId: '0190a8d2-1c6e-7000-8000-000000000000' }),
    );
    expect(unknown.code).toBe('SESSION_INVALID');
    const malformed = await failure(auth.grpc.issueAccessToken({ sessionId: 'nope' }));
    expect(malformed.fieldViolations.map((v) => v.field)).toEqual(['session_id']);
  });

  it('a temporary ban: no token (saying until when), and the sessions the account had are revoked', async () => {
    const { auth, identity } = platform;
    const user = await signUpAndLogin(identity);
    const second = await identity.authenticate({
      identifier: user.input.email,
      password: user.input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    const endsAt = new Date(Date.now() + 3_600_000);
    const { sanction } = await auth.grpc.createSanction({
      accountId: user.accountId,
      type: SanctionType.TEMPORARY_BAN,
      reason: 'abuse',
      endsAt: { seconds: BigInt(Math.floor(endsAt.getTime() / 1000)), nanos: 0 },
    });
    expect(sanction?.type).toBe(SanctionType.TEMPORARY_BAN);
    // Both live sessions ended in identity, not just refused here.
    expect((await identity.validateSession({ sessionId: user.sessionId })).valid).toBe(false);
    if (second.result.case !== 'session') throw new Error('expected a session');
    expect((await identity.validateSession({ sessionId: second.result.value.session?.id ?? '' })).valid).toBe(
      false,
    );
    const sessions = await identity.listSessions({ accountId: user.accountId, includeRevoked: true });
    expect(sessions.sessions.map((s) => s.revokedAt !== undefined)).toEqual([true, true]);

    // A fresh login still works at identity, but auth refuses the token.
    const again = await identity.authenticate({
      identifier: user.input.email,
      password: user.input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (again.result.case !== 'session') throw new Error('expected a session');
    const refused = await failure(
      auth.grpc.issueAccessToken({ sessionId: again.result.value.session?.id ?? '' }),
    );
    expect(refused.code).toBe('ACCOUNT_BANNED');
    expect(refused.grpcStatus).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(refused.message).toContain(
      `until ${new Date(Math.floor(endsAt.getTime() / 1000) * 1000).toISOString()}`,
    );
    const audit = (await pendingAudits(auth.db)).filter(
      (a) => a.actorId === user.accountId && a.reason === 'ACCOUNT_BANNED',
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'token.issue', result: 'AUDIT_RESULT_DENIED' });
    expect(audit[0]?.metadata?.sanction_id).toBe(sanction?.id);

    // Lifted: tokens again.
    await auth.grpc.revokeSanction({ sanctionId: sanction?.id ?? '', reason: 'appeal upheld' });
    const after = await identity.authenticate({
      identifier: user.input.email,
      password: user.input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (after.result.case !== 'session') throw new Error('expected a session');
    const token = await auth.grpc.issueAccessToken({ sessionId: after.result.value.session?.id ?? '' });
    expect(token.tokenType).toBe(TokenType.USER_ACCESS);
  });

  it('a permanent ban: no token ever, and live sessions are revoked', async () => {
    const { auth, identity } = platform;
    const user = await signUpAndLogin(identity);
    await auth.grpc.createSanction({
      accountId: user.accountId,
      type: SanctionType.PERMANENT_BAN,
      reason: 'fraud',
    });
    expect((await identity.validateSession({ sessionId: user.sessionId })).valid).toBe(false);
    const again = await identity.authenticate({
      identifier: user.input.email,
      password: user.input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (again.result.case !== 'session') throw new Error('expected a session');
    const refused = await failure(
      auth.grpc.issueAccessToken({ sessionId: again.result.value.session?.id ?? '' }),
    );
    expect(refused.code).toBe('ACCOUNT_BANNED');
    expect(refused.message).toBe('The account is permanently banned');
  });

  it('a warning and a feature restriction in force: the token is issued and carries them as notices', async () => {
    const { auth, identity } = platform;
    const user = await signUpAndLogin(identity);
    const warning = await auth.grpc.createSanction({
      accountId: user.accountId,
      type: SanctionType.WARNING,
      reason: 'be nice',
    });
    const restriction = await auth.grpc.createSanction({
      accountId: user.accountId,
      type: SanctionType.FEATURE_RESTRICTION,
      reason: 'spam',
      features: ['chat:send'],
    });
    // A warning does not end sessions.
    expect((await identity.validateSession({ sessionId: user.sessionId })).valid).toBe(true);
    const issued = await auth.grpc.issueAccessToken({ sessionId: user.sessionId });
    expect(issued.tokenType).toBe(TokenType.USER_ACCESS);
    expect(issued.notices.map((n) => [n.id, n.type, n.reason])).toEqual([
      [warning.sanction?.id, SanctionType.WARNING, 'be nice'],
      [restriction.sanction?.id, SanctionType.FEATURE_RESTRICTION, 'spam'],
    ]);
    expect(issued.notices[1]?.features).toEqual(['chat:send']);
  });
});

describe('auth-service on its own JWKS (AUTH_JWKS_URL unset), as deployed', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({}, { relay: false, accessTokens: 'own' });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('accepts the access tokens it issued, on gRPC and REST, and refuses another authority’s', async () => {
    const { auth, identity } = platform;
    const { accountId, sessionId } = await signUpAndLogin(identity);
    const { accessToken } = await auth.grpc.issueAccessToken({ sessionId });
    expect(decodeJwt(accessToken).iss).toBe('girok-auth');
    const bearer = (token: string) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      return { metadata };
    };
    const own = await auth.grpc.listSanctions({ accountId }, bearer(accessToken));
    expect(own.sanctions).toEqual([]);
    const rest = await auth.rest('GET', `/v1/accounts/${accountId}/sanctions`, undefined, {
      authorization: `Bearer ${accessToken}`,
    });
    expect(rest.status).toBe(200);

    const forged = await auth.callers.userToken({ accountId, sessionId });
    const refused = await failure(auth.grpc.listSanctions({ accountId }, bearer(forged)));
    expect(refused.grpcStatus).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(refused.code).toBe('TOKEN_KEY_UNKNOWN');
  });
});
