import { SessionEventSchema } from '@girok/contracts/identity/v1/events';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { type EventRecord, InProcessBus, LocalEventConsumer } from '../events/index.ts';
import { createLogger } from '../logging/logger.ts';
import { domainEvents } from '../outbox/domain-events.ts';
import { RevocationAwareVerifier } from './revocation-aware-verifier.ts';
import { REVOCATION_TOPICS, SessionRevocations } from './session-revocations.ts';
import type { AccessTokenClaims } from './token-verifier.ts';

const RETENTION_MS = 960_000;
const logger = createLogger({ service: 'session-revocations-test', level: 'silent' });
const { event } = domainEvents('identity-service', 'identity');

/** What identity's outbox relay puts on the local bus for a revoked session. */
function revoked(sessionId: string, accountId: string, at: Date): EventRecord {
  const input = event('identity.session.v1', 'session', 'revoked', accountId, SessionEventSchema, {
    session: { id: sessionId, accountId, revokedAt: { seconds: BigInt(Math.floor(at.getTime() / 1000)) } },
  });
  return { ...input, id: `evt-${sessionId}`, subject: input.subject ?? null, time: at };
}

function accountDeleted(accountId: string, at: Date): EventRecord {
  return {
    id: `evt-deleted-${accountId}`,
    topic: 'identity.account.v1',
    key: accountId,
    type: 'girok.identity.v1.account.deleted',
    source: 'identity-service',
    subject: accountId,
    time: at,
    data: { account: { id: accountId, status: 'ACCOUNT_STATUS_DELETED' } },
  };
}

function claims(sid: string, sub = 'account-1', issuedAt = new Date()): AccessTokenClaims {
  return {
    sub,
    sid,
    tokenType: 'USER_ACCESS',
    jti: `jti-${sid}`,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + 900_000),
    scope: [],
    amr: ['pwd'],
  };
}

function setup(start = Date.now()) {
  const clock = { now: start };
  const bus = new InProcessBus(logger);
  const revocations = new SessionRevocations({
    consumer: new LocalEventConsumer({ bus, topics: REVOCATION_TOPICS }),
    retentionMs: RETENTION_MS,
    logger,
    now: () => clock.now,
  });
  return { clock, bus, revocations };
}

describe('SessionRevocations', () => {
  it('learns revoked sessions from the bus; other sessions are untouched', async () => {
    const { bus, revocations } = setup();
    await revocations.start();
    await bus.publish([revoked('session-1', 'account-1', new Date())]);
    expect(revocations.isRevoked(claims('session-1'))).toBe(true);
    expect(revocations.isRevoked(claims('session-2'))).toBe(false);
    await revocations.stop();
  });

  it('ignores the other session and account changes', () => {
    const { revocations } = setup();
    revocations.handle({
      ...revoked('session-1', 'account-1', new Date()),
      type: 'girok.identity.v1.session.created',
    });
    revocations.handle({
      ...accountDeleted('account-1', new Date()),
      type: 'girok.identity.v1.account.locked',
    });
    expect(revocations.size).toBe(0);
  });

  it("refuses an account's tokens issued before its deletion, not those issued after", () => {
    const { revocations } = setup();
    const deletedAt = new Date();
    revocations.handle(accountDeleted('account-1', deletedAt));
    expect(revocations.isRevoked(claims('s-a', 'account-1', new Date(deletedAt.getTime() - 1000)))).toBe(
      true,
    );
    expect(revocations.isRevoked(claims('s-b', 'account-1', new Date(deletedAt.getTime() + 1000)))).toBe(
      false,
    );
    expect(revocations.isRevoked(claims('s-c', 'account-2', new Date(deletedAt.getTime() - 1000)))).toBe(
      false,
    );
  });

  it('forgets a revocation once every token it concerns has expired', () => {
    const { clock, revocations } = setup();
    revocations.handle(revoked('session-1', 'account-1', new Date(clock.now)));
    clock.now += 60_000;
    revocations.handle(revoked('session-2', 'account-1', new Date(clock.now)));
    revocations.handle(accountDeleted('account-9', new Date(clock.now)));
    clock.now += RETENTION_MS - 60_000;
    expect(revocations.isRevoked(claims('session-1'))).toBe(false);
    expect(revocations.isRevoked(claims('session-2'))).toBe(true);
    expect(revocations.size).toBe(2);
    clock.now += 60_000;
    expect(revocations.size).toBe(0);
  });

  it('counts a replayed revocation from its own time (one already past is not kept), and one stamped in the future from now', () => {
    const { clock, revocations } = setup();
    revocations.handle(revoked('old', 'account-1', new Date(clock.now - RETENTION_MS + 1000)));
    revocations.handle(revoked('ahead', 'account-1', new Date(clock.now + 3_600_000)));
    revocations.handle(revoked('ancient', 'account-1', new Date(clock.now - RETENTION_MS - 1)));
    expect(revocations.size).toBe(2);
    expect(revocations.isRevoked(claims('ancient'))).toBe(false);
    clock.now += 1000;
    expect(revocations.isRevoked(claims('old'))).toBe(false);
    expect(revocations.isRevoked(claims('ahead'))).toBe(true);
    clock.now += RETENTION_MS;
    expect(revocations.size).toBe(0);
  });
});

describe('RevocationAwareVerifier', () => {
  it('refuses a revoked session with UNAUTHENTICATED SESSION_REVOKED and passes the others through', async () => {
    const { revocations } = setup();
    revocations.handle(revoked('session-1', 'account-1', new Date()));
    const verifier = new RevocationAwareVerifier({ verify: async (token) => claims(token) }, revocations);
    expect((await verifier.verify('session-2')).sid).toBe('session-2');
    const error = await verifier.verify('session-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'SESSION_REVOKED' });
  });
});
