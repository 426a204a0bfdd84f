import { keysOf, type TopicWatcher, until, watchTopics } from '@girok/e2e/events';
import { fulfilmentRequestedMessage } from '@girok/kit/dsr';
import { uuidv7 } from '@girok/kit/ids';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { base32Decode, totpCode } from '../src/crypto/totp.ts';
import { client, DSR_TOPIC, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

function kafka() {
  return new kafkajs.Kafka({
    brokers: inject('infraEnv').KAFKA_BROKERS?.split(',') ?? [],
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

describe('identity-service answers data-subject requests (legal.dsr.v1)', () => {
  let identity: TestIdentity;
  let producer: kafkajs.Producer;
  let seen: TopicWatcher;

  beforeAll(async () => {
    identity = await startTestIdentity({}, { dsr: true });
    seen = await watchTopics(inject('infraEnv').KAFKA_BROKERS ?? '', [DSR_TOPIC, 'identity.account.v1']);
    producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await seen?.stop();
    await identity?.close();
  });

  /** legal-service's fulfilment request, as its outbox relay puts it on Kafka. */
  async function request(accountId: string, type: 'ERASURE' | 'ACCESS') {
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
      const row = await identity.db
        .selectFrom('dsr_answers')
        .select('answer')
        .where('request_id', '=', requestId)
        .where('service', '=', 'identity-service')
        .executeTakeFirst();
      if (row !== undefined) return row.answer as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no answer stored for ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * identity's answers to `requestId` on Kafka. The broker is shared: another suite's
   * identity-service (other tests run side by side) may answer the same request too, and can only
   * say NOTHING_HELD, since the account exists in this instance's database alone. This instance's
   * answers are the ones equal to what it stored.
   */
  function answers(requestId: string, stored: Record<string, unknown>) {
    const all = seen.events.filter(
      (e) =>
        e.topic === DSR_TOPIC &&
        e.type === 'girok.legal.v1.dsr.part_completed' &&
        e.source === 'identity-service' &&
        e.data.requestId === requestId,
    );
    const ours = all.filter((e) => JSON.stringify(e.data) === JSON.stringify(stored));
    expect(all.filter((e) => !ours.includes(e)).map((e) => e.data.outcome)).toEqual(
      all.filter((e) => !ours.includes(e)).map(() => 'DSR_OUTCOME_NOTHING_HELD'),
    );
    return ours;
  }

  async function signUpAndLogin() {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount({ ...input, displayName: 'Data Subject' });
    const accountId = account?.id ?? '';
    const login = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.21', 'phone'),
    });
    if (login.result.case !== 'session') throw new Error('expected a session');
    return { input, accountId, session: login.result.value };
  }

  it('an erasure request erases the account as an immediate deletion and answers ERASED once', async () => {
    const { input, accountId, session } = await signUpAndLogin();
    const { requestId } = await request(accountId, 'ERASURE');

    const stored = await storedAnswer(requestId);
    expect(stored).toMatchObject({
      requestId,
      accountId,
      type: 'DSR_TYPE_ERASURE',
      service: 'identity-service',
      outcome: 'DSR_OUTCOME_ERASED',
    });
    expect(String(stored.note)).toContain('tombstone');
    const [answer] = await until('the answer on Kafka', () => {
      const found = answers(requestId, stored);
      return found.length > 0 ? found : undefined;
    });
    expect(answer?.key).toBe(accountId);

    expect(
      (
        await failure(
          identity.grpc.authenticate({
            identifier: input.email,
            password: input.password,
            client: { ipAddress: '203.0.113.7' },
          }),
        )
      ).code,
    ).toBe('INVALID_CREDENTIALS');
    expect((await identity.grpc.validateSession({ sessionId: session.session?.id ?? '' })).valid).toBe(false);
    const tombstone = await identity.db
      .selectFrom('accounts')
      .select(['status', 'email', 'username', 'deleted_at'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(tombstone).toMatchObject({ status: 'DELETED', email: `deleted+${accountId}@deleted.invalid` });
    expect(tombstone.deleted_at).toBeInstanceOf(Date);
    for (const table of ['credentials', 'profiles', 'devices', 'mfa_totp'] as const) {
      expect(
        await identity.db
          .selectFrom(table)
          .select('account_id')
          .where('account_id', '=', accountId)
          .execute(),
      ).toEqual([]);
    }
    // Sessions stay as the tombstone's history, without where they came from or a refresh token.
    const sessions = await identity.db
      .selectFrom('sessions')
      .select(['id', 'ip_address', 'user_agent', 'revoked_at'])
      .where('account_id', '=', accountId)
      .execute();
    expect(sessions).toEqual([
      { id: session.session?.id, ip_address: '', user_agent: '', revoked_at: expect.any(Date) },
    ]);
    expect(
      await identity.db
        .selectFrom('refresh_tokens')
        .select('token_hash')
        .where('session_id', '=', session.session?.id ?? '')
        .execute(),
    ).toEqual([]);
    await until('account.deleted on identity.account.v1', () =>
      seen.events.find((e) => e.key === accountId && e.type === 'girok.identity.v1.account.deleted'),
    );
    expect(answers(requestId, stored)).toHaveLength(1);
  });

  it('a redelivered request erases nothing more and gets the same answer again', async () => {
    const { accountId } = await signUpAndLogin();
    const { requestId, message } = await request(accountId, 'ERASURE');
    const stored = await storedAnswer(requestId);
    await until('the first answer', () => (answers(requestId, stored).length === 1 ? true : undefined));

    // legal-service's relay sends the same CloudEvent again (a crash before it recorded the send).
    await producer.send({ topic: DSR_TOPIC, acks: -1, messages: [message] });
    await until('the repeated answer', () => (answers(requestId, stored).length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything more would arrive now

    const repeated = answers(requestId, stored);
    expect(repeated).toHaveLength(2);
    expect(repeated[1]?.data).toEqual(repeated[0]?.data);
    expect(repeated[1]?.id).not.toBe(repeated[0]?.id);
    expect(
      seen.events.filter((e) => e.key === accountId && e.type === 'girok.identity.v1.account.deleted'),
    ).toHaveLength(1);
    expect(
      await identity.db
        .selectFrom('dsr_answers')
        .select('request_id')
        .where('account_id', '=', accountId)
        .execute(),
    ).toHaveLength(1);
  });

  it('an access request exports the account, profile, sessions (revoked too), devices and MFA state, no secret', async () => {
    const { input, accountId, session } = await signUpAndLogin();
    const second = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.22', 'laptop'),
    });
    if (second.result.case !== 'session') throw new Error('expected a session');
    await identity.grpc.revokeSession({ accountId, sessionId: session.session?.id ?? '' });
    const begin = await identity.grpc.beginTotpEnrollment({ accountId });
    const { backupCodes } = await identity.grpc.confirmTotpEnrollment({
      accountId,
      code: totpCode(base32Decode(begin.secret), identity.clock.now().getTime()),
    });

    const { requestId } = await request(accountId, 'ACCESS');
    const stored = await storedAnswer(requestId);
    const [answer] = await until('the answer on Kafka', () => {
      const found = answers(requestId, stored);
      return found.length > 0 ? found : undefined;
    });
    expect(answer?.data).toMatchObject({ type: 'DSR_TYPE_ACCESS', outcome: 'DSR_OUTCOME_EXPORTED' });
    const text = String(answer?.data.exportJson);
    const data = JSON.parse(text) as {
      account: Record<string, unknown>;
      profile: Record<string, unknown>;
      sessions: Record<string, unknown>[];
      devices: Record<string, unknown>[];
      mfa: Record<string, unknown>;
    };
    expect(data.account).toMatchObject({
      id: accountId,
      email: input.email,
      username: input.username,
      mfaEnabled: true,
    });
    expect(data.profile).toMatchObject({ accountId, displayName: 'Data Subject' });
    expect(
      data.sessions.map((s) => [s.id, s.ipAddress, s.revokedAt !== undefined && s.revokedAt !== null]),
    ).toEqual(
      expect.arrayContaining([
        [session.session?.id, '203.0.113.21', true],
        [second.result.value.session?.id, '203.0.113.22', false],
      ]),
    );
    expect(data.sessions).toHaveLength(2);
    expect(data.devices.map((d) => d.fingerprint).sort()).toEqual(['laptop', 'phone']);
    expect(data.mfa).toMatchObject({ totpEnrolled: true });
    expect(keysOf(data).filter((key) => /password|hash|secret|token|backup/i.test(key))).toEqual([]);
    for (const secret of [input.password, begin.secret, session.refreshToken, ...backupCodes]) {
      expect(text).not.toContain(secret);
    }
    // Access changes nothing.
    expect(
      (await identity.grpc.validateSession({ sessionId: second.result.value.session?.id ?? '' })).valid,
    ).toBe(true);
  });
});
