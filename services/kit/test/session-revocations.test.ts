import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionEventSchema } from '@girok/contracts/identity/v1/events';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createRevocationsConsumer,
  RevocationAwareVerifier,
  revocationRetentionMs,
  SessionRevocations,
  TokenVerifier,
} from '../src/auth/index.ts';
import { DomainError } from '../src/errors/domain-error.ts';
import { uuidv7 } from '../src/ids/index.ts';
import { toKafkaMessage } from '../src/outbox/cloud-event.ts';
import { domainEvents } from '../src/outbox/domain-events.ts';
import { deleteTopic, kafkaClient, randomSuffix, silentLogger, waitFor } from './fixtures/outbox-test-env.ts';

const ISSUER = 'https://auth.girok.test';
const AUDIENCE = 'girok';
const { event } = domainEvents('identity-service', 'identity');

describe('SessionRevocations on real Kafka', () => {
  const env = inject('infraEnv');
  const brokers = (env.KAFKA_BROKERS ?? '').split(',');
  let kafka: Kafka;
  let sessionTopic: string;
  let accountTopic: string;
  let jwks: Server;
  let tokens: TokenVerifier;
  let sign: (sid: string) => Promise<string>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    kafka = kafkaClient(env.KAFKA_BROKERS ?? '');
    // Topics of their own: identity's real topics are shared with every other suite on this broker.
    sessionTopic = `test.identity-session-${randomSuffix()}.v1`;
    accountTopic = `test.identity-account-${randomSuffix()}.v1`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [sessionTopic, accountTopic].map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
    await admin.disconnect();

    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    tokens = new TokenVerifier({
      jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    sign = (sid) =>
      new SignJWT({
        sub: 'account-1',
        sid,
        token_type: 'USER_ACCESS',
        jti: uuidv7(),
        scope: '',
        amr: ['pwd'],
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'es-1', typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await deleteTopic(kafka, sessionTopic);
    await deleteTopic(kafka, accountTopic);
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  /** A replica's revocation-aware verifier, as a service start would build it; `clock` shifts its time. */
  async function replica(clock = { offsetMs: 0 }) {
    const retentionMs = revocationRetentionMs(tokens);
    const revocations = new SessionRevocations({
      consumer: createRevocationsConsumer({
        service: 'test-service',
        kafka: { brokers, topicPrefix: '' },
        lookBackMs: retentionMs,
        logger: silentLogger(),
        topics: [sessionTopic, accountTopic],
      }),
      retentionMs,
      logger: silentLogger(),
      now: () => Date.now() + clock.offsetMs,
    });
    await revocations.start();
    cleanups.push(() => revocations.stop());
    return { revocations, verifier: new RevocationAwareVerifier(tokens, revocations) };
  }

  /** Publishes a session.revoked CloudEvent as identity's outbox relay does; `at` stamps the record. */
  async function revoke(sessionId: string, at = new Date()): Promise<void> {
    const input = event(sessionTopic, 'session', 'revoked', 'account-1', SessionEventSchema, {
      session: {
        id: sessionId,
        accountId: 'account-1',
        revokedAt: { seconds: BigInt(Math.floor(at.getTime() / 1000)) },
        revokeReason: 'REFRESH_TOKEN_REUSE',
      },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const message = toKafkaMessage({
        ...input,
        id: uuidv7(),
        subject: input.subject ?? null,
        data: JSON.stringify(input.data),
        createdAt: at,
      });
      await producer.send({
        topic: sessionTopic,
        acks: -1,
        messages: [{ ...message, timestamp: String(at.getTime()) }],
      });
    } finally {
      await producer.disconnect();
    }
  }

  async function refusal(verifier: RevocationAwareVerifier, token: string): Promise<DomainError | undefined> {
    try {
      await verifier.verify(token);
      return undefined;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  }

  it("refuses a revoked session's token within a second; other sessions' tokens still pass", async () => {
    const { verifier } = await replica();
    const revokedSession = `session-${randomSuffix()}`;
    const kept = await sign(`session-${randomSuffix()}`);
    const token = await sign(revokedSession);
    expect((await verifier.verify(token)).sid).toBe(revokedSession);

    const sent = Date.now();
    await revoke(revokedSession);
    const error = await waitFor('the token refused', () => refusal(verifier, token), 5_000, 10);
    const elapsedMs = Date.now() - sent;

    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'SESSION_REVOKED' });
    expect(elapsedMs).toBeLessThan(1000);
    expect((await verifier.verify(kept)).sub).toBe('account-1');
  });

  it('a replica started after the revocation (its own group) still refuses the token: it reads one lifetime back', async () => {
    const recent = `session-${randomSuffix()}`;
    const tooOld = `session-${randomSuffix()}`;
    // Older than any token still valid: a starting replica does not read that far back.
    await revoke(tooOld, new Date(Date.now() - revocationRetentionMs(tokens) - 60_000));
    await revoke(recent, new Date(Date.now() - 10 * 60_000));

    const token = await sign(recent);
    const first = await replica();
    const second = await replica();
    for (const { verifier } of [first, second]) {
      const error = await waitFor('the token refused', () => refusal(verifier, token), 10_000, 10);
      expect(error.code).toBe('SESSION_REVOKED');
      expect((await verifier.verify(await sign(tooOld))).sid).toBe(tooOld);
    }
  });

  it('drops a revocation once the longest token lifetime has passed since it', async () => {
    const clock = { offsetMs: 0 };
    const { revocations, verifier } = await replica(clock);
    const sessionId = `session-${randomSuffix()}`;
    const token = await sign(sessionId);
    await revoke(sessionId);
    await waitFor('the token refused', () => refusal(verifier, token), 5_000, 10);
    expect(revocations.size).toBeGreaterThan(0);

    clock.offsetMs = revocationRetentionMs(tokens) + 1000;
    expect(revocations.size).toBe(0);
    expect((await verifier.verify(token)).sid).toBe(sessionId);
  });
});
