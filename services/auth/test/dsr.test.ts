import { DecisionReason, SanctionType } from '@girok/contracts/auth/v1/auth';
import { keysOf, type TopicWatcher, until, watchTopics } from '@girok/e2e/events';
import { type DsrRequestType, fulfilmentRequestedMessage } from '@girok/kit/dsr';
import { uuidv7 } from '@girok/kit/ids';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyAccountId, DSR_TOPIC, env, startAuth, type TestAuth } from './support.ts';

const SUPPORT = '00000000-0000-7000-8000-000000000003';
const SECURITY_ADMIN = '00000000-0000-7000-8000-000000000002';

function kafka() {
  return new kafkajs.Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: kafkajs.logLevel.NOTHING });
}

describe('auth-service answers data-subject requests (legal.dsr.v1)', () => {
  let auth: TestAuth;
  let producer: kafkajs.Producer;
  let seen: TopicWatcher;

  beforeAll(async () => {
    // Grants, warnings and feature restrictions never call identity-service; none is needed here.
    auth = await startAuth('127.0.0.1:1', {}, { dsr: true });
    seen = await watchTopics(env('KAFKA_BROKERS'), [DSR_TOPIC, 'auth.role.v1']);
    producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await seen?.stop();
    await auth?.close();
  });

  /** legal-service's fulfilment request, as its outbox relay puts it on Kafka. */
  async function request(accountId: string, type: DsrRequestType) {
    const input = {
      requestId: uuidv7(),
      accountId,
      type,
      participants: ['identity-service', 'auth-service'],
    };
    const message = fulfilmentRequestedMessage(input);
    await producer.send({ topic: DSR_TOPIC, acks: -1, messages: [message] });
    return { requestId: input.requestId, message };
  }

  /** What this instance stored as its answer (dsr_answers), once it has answered. */
  async function storedAnswer(requestId: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const row = await auth.db
        .selectFrom('dsr_answers')
        .select('answer')
        .where('request_id', '=', requestId)
        .where('service', '=', 'auth-service')
        .executeTakeFirst();
      if (row !== undefined) return row.answer as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no answer stored for ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * auth's answers to `requestId` on Kafka. The broker is shared: another suite's auth-service may
   * answer the same request too, and can only say NOTHING_HELD, since the grants exist in this
   * instance's database alone. This instance's answers are the ones equal to what it stored.
   */
  function answers(requestId: string, stored: Record<string, unknown>) {
    const all = seen.events.filter(
      (e) =>
        e.topic === DSR_TOPIC &&
        e.type === 'girok.legal.v1.dsr.part_completed' &&
        e.source === 'auth-service' &&
        e.data.requestId === requestId,
    );
    const ours = all.filter((e) => JSON.stringify(e.data) === JSON.stringify(stored));
    const others = all.filter((e) => !ours.includes(e));
    expect(others.map((e) => e.data.outcome)).toEqual(others.map(() => 'DSR_OUTCOME_NOTHING_HELD'));
    return ours;
  }

  const arrived = (requestId: string, stored: Record<string, unknown>, count: number) =>
    until(`${count} answer(s) on Kafka`, () =>
      answers(requestId, stored).length >= count ? true : undefined,
    );

  /** An account holding a live role, a revoked one, an operator assignment and a warning. */
  async function grantEverything() {
    const accountId = anyAccountId();
    await auth.grpc.assignRole({ accountId, roleId: SUPPORT });
    const { assignment: revoked } = await auth.grpc.assignRole({ accountId, roleId: SECURITY_ADMIN });
    await auth.grpc.revokeRole({ assignmentId: revoked?.id ?? '' });
    await auth.grpc.createOperatorAssignment({
      accountId,
      service: 'identity-service',
      country: 'KR',
      permissions: ['account:read'],
    });
    const issuer = anyAccountId();
    await auth.grpc.createSanction({
      accountId,
      type: SanctionType.WARNING,
      reason: 'spam in profile',
      actorId: issuer,
    });
    return { accountId, issuer };
  }

  const rowsOf = async (accountId: string) => ({
    roles: await auth.db
      .selectFrom('role_assignments')
      .select('id')
      .where('account_id', '=', accountId)
      .execute(),
    operators: await auth.db
      .selectFrom('operator_assignments')
      .select('id')
      .where('account_id', '=', accountId)
      .execute(),
    sanctions: await auth.db
      .selectFrom('sanctions')
      .select('id')
      .where('account_id', '=', accountId)
      .execute(),
  });

  it('an erasure deletes role and operator assignments, keeps the sanctions and answers RETAINED with why', async () => {
    const { accountId } = await grantEverything();
    const { requestId } = await request(accountId, 'ERASURE');

    const stored = await storedAnswer(requestId);
    expect(stored).toMatchObject({
      requestId,
      accountId,
      type: 'DSR_TYPE_ERASURE',
      service: 'auth-service',
      outcome: 'DSR_OUTCOME_RETAINED',
    });
    expect(String(stored.note)).toMatch(/1 sanction\(s\) retained .*Art\. 17\(3\)\(e\)/);
    await arrived(requestId, stored, 1);

    const rows = await rowsOf(accountId);
    expect(rows.roles).toEqual([]);
    expect(rows.operators).toEqual([]);
    expect(rows.sanctions).toHaveLength(1);
    const check = await auth.grpc.checkPermission({ accountId, query: { permission: 'account:read' } });
    expect(check.decision?.reason).toBe(DecisionReason.NO_MATCHING_GRANT);
    // The live grants end for auth.role.v1's consumers too (the third is grantEverything's RevokeRole).
    const revoked = await until('the revocation events', () => {
      const found = seen.events.filter((e) => e.key === accountId && e.type.endsWith('.revoked'));
      return found.length >= 3 ? found : undefined;
    });
    expect(revoked.map((e) => e.type).sort()).toEqual([
      'girok.auth.v1.operator_assignment.revoked',
      'girok.auth.v1.role_assignment.revoked',
      'girok.auth.v1.role_assignment.revoked',
    ]);
    expect(answers(requestId, stored)).toHaveLength(1);
  });

  it('an account with grants only is ERASED; one auth knows nothing of is NOTHING_HELD', async () => {
    const accountId = anyAccountId();
    await auth.grpc.assignRole({ accountId, roleId: SUPPORT });
    const erased = await request(accountId, 'ERASURE');
    expect(await storedAnswer(erased.requestId)).toMatchObject({ outcome: 'DSR_OUTCOME_ERASED' });
    expect((await rowsOf(accountId)).roles).toEqual([]);

    const unknown = await request(anyAccountId(), 'ERASURE');
    expect(await storedAnswer(unknown.requestId)).toMatchObject({ outcome: 'DSR_OUTCOME_NOTHING_HELD' });
  });

  it('a redelivered request erases nothing more and gets the same answer again', async () => {
    const { accountId } = await grantEverything();
    const { requestId, message } = await request(accountId, 'ERASURE');
    const stored = await storedAnswer(requestId);
    await arrived(requestId, stored, 1);
    // Meanwhile the account is granted a role again: a repeat of the old request must not touch it.
    await auth.grpc.assignRole({ accountId, roleId: SUPPORT });

    await producer.send({ topic: DSR_TOPIC, acks: -1, messages: [message] });
    await arrived(requestId, stored, 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything more would arrive now

    const repeated = answers(requestId, stored);
    expect(repeated).toHaveLength(2);
    expect(repeated[1]?.data).toEqual(repeated[0]?.data);
    expect((await rowsOf(accountId)).roles).toHaveLength(1);
    expect(
      await auth.db
        .selectFrom('dsr_answers')
        .select('request_id')
        .where('account_id', '=', accountId)
        .execute(),
    ).toHaveLength(1);
  });

  it('an access request exports role assignments, operator assignments and sanctions, not who granted them', async () => {
    const { accountId, issuer } = await grantEverything();
    const { requestId } = await request(accountId, 'ACCESS');
    const stored = await storedAnswer(requestId);
    await arrived(requestId, stored, 1);
    const [answer] = answers(requestId, stored);
    expect(answer?.data).toMatchObject({ type: 'DSR_TYPE_ACCESS', outcome: 'DSR_OUTCOME_EXPORTED' });
    const text = String(answer?.data.exportJson);
    const data = JSON.parse(text) as Record<string, Record<string, unknown>[]>;
    expect(data.roleAssignments?.map((a) => [a.role, a.revokedAt === null])).toEqual([
      ['support', true],
      ['security_admin', false],
    ]);
    expect(data.operatorAssignments).toEqual([
      expect.objectContaining({ service: 'identity-service', country: 'KR', permissions: ['account:read'] }),
    ]);
    expect(data.sanctions).toEqual([
      expect.objectContaining({ type: 'WARNING', reason: 'spam in profile', revokedAt: null }),
    ]);
    expect(keysOf(data).filter((key) => /password|hash|secret|token|by$/i.test(key))).toEqual([]);
    expect(text).not.toContain(issuer);
    // Access changes nothing.
    const rows = await rowsOf(accountId);
    expect([rows.roles.length, rows.operators.length, rows.sanctions.length]).toEqual([2, 1, 1]);
  });
});
