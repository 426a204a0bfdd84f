import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { SanctionType, TokenType } from '@girok/contracts/auth/v1/auth';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyAccountId,
  failure,
  pendingAudits,
  rowCounts,
  signUpAndLogin,
  startAuth,
  startTestPlatform,
  type TestAuth,
  type TestPlatform,
} from './support.ts';

const inMs = (ms: number) => timestampFromDate(new Date(Date.now() + ms));

describe('sanctions', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({}, { relay: false });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('the rules of the contract: each broken one named, nothing written', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const before = await rowCounts(auth.db);
    const cases: [Parameters<typeof auth.grpc.createSanction>[0], string[]][] = [
      [{ accountId, type: SanctionType.TEMPORARY_BAN, reason: 'r' }, ['ends_at']],
      [{ accountId, type: SanctionType.TEMPORARY_BAN, reason: 'r', endsAt: inMs(-60_000) }, ['ends_at']],
      [{ accountId, type: SanctionType.PERMANENT_BAN, reason: 'r', endsAt: inMs(60_000) }, ['ends_at']],
      [{ accountId, type: SanctionType.FEATURE_RESTRICTION, reason: 'r' }, ['features']],
      [
        { accountId, type: SanctionType.FEATURE_RESTRICTION, reason: 'r', features: ['Chat'] },
        ['features[0]'],
      ],
      [{ accountId, type: SanctionType.WARNING, reason: 'r', features: ['chat:send'] }, ['features']],
      [
        { accountId: 'nope', type: SanctionType.UNSPECIFIED, reason: '', actorId: 'x' },
        ['account_id', 'actor_id', 'type', 'reason'],
      ],
      [
        {
          accountId,
          type: SanctionType.TEMPORARY_BAN,
          reason: 'r',
          startsAt: inMs(7_200_000),
          endsAt: inMs(3_600_000),
        },
        ['ends_at'],
      ],
    ];
    for (const [request, fields] of cases) {
      const error = await failure(auth.grpc.createSanction(request));
      expect(error.grpcStatus, JSON.stringify(fields)).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(fields);
    }
    expect(await rowCounts(auth.db)).toEqual(before);
  });

  it('lists an account’s sanctions newest first; active_only leaves out revoked, ended and future ones', async () => {
    const { auth } = platform;
    const accountId = anyAccountId();
    const warning = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.WARNING,
      reason: 'first',
    });
    const future = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.FEATURE_RESTRICTION,
      reason: 'later',
      features: ['chat:send'],
      startsAt: inMs(3_600_000),
    });
    const lifted = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.WARNING,
      reason: 'lifted',
    });
    const revoked = await auth.grpc.revokeSanction({
      sanctionId: lifted.sanction?.id ?? '',
      reason: 'mistake',
      actorId: anyAccountId(),
    });
    expect(revoked.sanction?.revokedAt).toBeDefined();
    expect(revoked.sanction?.revokeReason).toBe('mistake');
    // Revoking again changes nothing and emits nothing.
    const again = await auth.grpc.revokeSanction({ sanctionId: lifted.sanction?.id ?? '', reason: 'twice' });
    expect(again.sanction?.revokeReason).toBe('mistake');

    const all = await auth.grpc.listSanctions({ accountId });
    expect(all.sanctions.map((s) => s.reason)).toEqual(['lifted', 'later', 'first']);
    const active = await auth.grpc.listSanctions({ accountId, activeOnly: true });
    expect(active.sanctions.map((s) => s.id)).toEqual([warning.sanction?.id]);
    expect(future.sanction?.startsAt).toBeDefined();
    const paged = await auth.grpc.listSanctions({ accountId, page: { pageSize: 2 } });
    expect(paged.sanctions).toHaveLength(2);
    const rest = await auth.grpc.listSanctions({
      accountId,
      page: { pageSize: 2, pageToken: paged.page?.nextPageToken ?? '' },
    });
    expect(rest.sanctions.map((s) => s.reason)).toEqual(['first']);

    const events = await auth.db
      .selectFrom('outbox_events')
      .select('type')
      .where('topic', '=', 'auth.sanction.v1')
      .where('key', '=', accountId)
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual([
      'girok.auth.v1.sanction.created',
      'girok.auth.v1.sanction.created',
      'girok.auth.v1.sanction.created',
      'girok.auth.v1.sanction.revoked',
    ]);
    expect(
      (await pendingAudits(auth.db)).filter((a) => a.targetId === accountId).map((a) => a.action),
    ).toEqual(['sanction.create', 'sanction.create', 'sanction.create', 'sanction.revoke']);
    expect((await failure(auth.grpc.revokeSanction({ sanctionId: anyAccountId() }))).code).toBe(
      'SANCTION_NOT_FOUND',
    );
  });

  it('a ban that starts later leaves sessions and tokens alone until it starts', async () => {
    const { auth, identity } = platform;
    const user = await signUpAndLogin(identity);
    await auth.grpc.createSanction({
      accountId: user.accountId,
      type: SanctionType.TEMPORARY_BAN,
      reason: 'cooling off',
      startsAt: inMs(3_600_000),
      endsAt: inMs(7_200_000),
    });
    expect((await identity.validateSession({ sessionId: user.sessionId })).valid).toBe(true);
    expect((await auth.grpc.issueAccessToken({ sessionId: user.sessionId })).tokenType).toBe(
      TokenType.USER_ACCESS,
    );
    auth.clock.advance(3_700_000);
    try {
      expect((await failure(auth.grpc.issueAccessToken({ sessionId: user.sessionId }))).code).toBe(
        'ACCOUNT_BANNED',
      );
    } finally {
      auth.clock.offsetMs = 0;
    }
  });
});

describe('a ban while identity-service is down', () => {
  let auth: TestAuth;
  beforeAll(async () => {
    // Nothing listens on port 1: every call to identity fails as UNAVAILABLE.
    auth = await startAuth('127.0.0.1:1', { IDENTITY_GRPC_DEADLINE_MS: '500' }, { relay: false });
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('still stands (sessions cannot be revoked now, but no token will be issued)', async () => {
    const accountId = anyAccountId();
    const { sanction } = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.PERMANENT_BAN,
      reason: 'fraud',
    });
    expect(sanction?.type).toBe(SanctionType.PERMANENT_BAN);
    const stored = await auth.db
      .selectFrom('sanctions')
      .select(['id', 'type'])
      .where('account_id', '=', accountId)
      .execute();
    expect(stored).toEqual([{ id: sanction?.id, type: 'PERMANENT_BAN' }]);
    // Token issue needs identity to vouch for the session: UNAVAILABLE, not a token.
    const unavailable = await failure(auth.grpc.issueAccessToken({ sessionId: anyAccountId() }));
    expect(unavailable.grpcStatus).toBe(GrpcStatus.UNAVAILABLE);
  });
});
