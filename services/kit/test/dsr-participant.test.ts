import type { Kafka, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DSR_TOPIC,
  type DsrDatabase,
  DsrParticipant,
  type DsrRequest,
  dsrAnswersMigration,
} from '../src/dsr/index.ts';
import { KafkaEventConsumer } from '../src/events/index.ts';
import { uuidv7 } from '../src/ids/index.ts';
import { type PendingEvent, toKafkaMessage } from '../src/outbox/cloud-event.ts';
import { type OutboxDatabase, OutboxRelay } from '../src/outbox/index.ts';
import {
  createTestDatabase,
  createTopic,
  deleteTopic,
  kafkaClient,
  randomSuffix,
  silentLogger,
  sleep,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

type Db = OutboxDatabase & DsrDatabase;

interface Answer {
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly data: Record<string, unknown>;
}

/**
 * The DSR participant end to end on real PostgreSQL and Kafka: fulfilment requests produced as the
 * legal-service's relay would (CloudEvents, binary binding), answers read back off `legal.dsr.v1`.
 * Requests come on a topic of this suite's own and the participant has a name of its own, so no
 * other participant on the shared broker answers them.
 */
describe('DsrParticipant on real PostgreSQL and Kafka', () => {
  const env = inject('infraEnv');
  const service = `test-participant-${randomSuffix()}`;
  const erased: string[] = [];
  let kafka: Kafka;
  let producer: Producer;
  let database: TestDatabase;
  let requests: string;
  let relay: OutboxRelay<Db>;
  let participant: DsrParticipant<Db>;
  let answers: Answer[];
  let stopReading: () => Promise<void>;

  beforeAll(async () => {
    kafka = kafkaClient(env.KAFKA_BROKERS ?? '');
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(DSR_TOPIC)) {
        await admin
          .createTopics({ topics: [{ topic: DSR_TOPIC, numPartitions: 3 }], waitForLeaders: true })
          .catch((error: Error) => {
            if (!/already exists/i.test(error.message)) throw error;
          });
      }
    } finally {
      await admin.disconnect();
    }
    requests = await createTopic(kafka, 3);
    database = await createTestDatabase(env.DATABASE_URL ?? '');
    await dsrAnswersMigration.up(database.db as Kysely<unknown>);
    const db = database.db as unknown as Kysely<Db>;
    relay = new OutboxRelay({
      db,
      session: database.url,
      kafka,
      logger: silentLogger(),
      options: { pollIntervalMs: 100 },
    });
    relay.start();
    ({ answers, stop: stopReading } = await readAnswers(kafka, service));
    participant = new DsrParticipant<Db>({
      service,
      consumer: new KafkaEventConsumer({
        kafka,
        groupId: `${service}-group`,
        topics: [requests],
        logger: silentLogger(),
        fromBeginning: true,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 300,
        maxWaitTimeInMs: 100,
        retryInitialMs: 50,
        retryMaxMs: 200,
      }),
      db,
      logger: silentLogger(),
      handlers: {
        erase: async (_tx, accountId: string, request: DsrRequest) => {
          erased.push(`${accountId} ${request.requestId}`);
          return { outcome: 'ERASED' };
        },
        export: async (_tx, accountId: string) => ({ account: { id: accountId }, sessions: [{ id: 's-1' }] }),
      },
    });
    await participant.start();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await participant?.stop();
    await stopReading?.();
    await relay?.stop();
    await database?.drop();
    await deleteTopic(kafka, requests);
  });

  /** A fulfilment request as legal-service's outbox relay puts it on Kafka. */
  function request(
    accountId: string,
    type: string,
    participants: string[],
    requestId = uuidv7(),
  ): PendingEvent {
    return {
      seq: '1',
      id: uuidv7(),
      topic: requests,
      key: accountId,
      type: 'girok.legal.v1.dsr.fulfilment_requested',
      source: 'legal-service',
      subject: accountId,
      data: JSON.stringify({ requestId, accountId, type, participants }),
      createdAt: new Date(),
    };
  }

  const send = (...events: PendingEvent[]) =>
    producer.send({ topic: requests, acks: -1, messages: events.map(toKafkaMessage) });
  const requestIdOf = (event: PendingEvent) => (JSON.parse(event.data) as { requestId: string }).requestId;
  const answersTo = (requestId: string) => answers.filter((a) => a.data.requestId === requestId);

  it('answers a request listing it with exactly one part_completed; one for others gets nothing', async () => {
    const accountId = uuidv7();
    const foreign = request(accountId, 'DSR_TYPE_ERASURE', ['identity-service', 'auth-service']);
    const ours = request(accountId, 'DSR_TYPE_ERASURE', ['identity-service', service]);
    // One key, one partition: once the second is answered, the first has been handled too.
    await send(foreign, ours);
    await waitFor('the answer', async () => answersTo(requestIdOf(ours)).length > 0);
    await sleep(1_000); // a duplicate would arrive now

    expect(answersTo(requestIdOf(ours))).toEqual([
      {
        key: accountId,
        headers: expect.objectContaining({
          ce_type: 'girok.legal.v1.dsr.part_completed',
          ce_source: service,
          ce_subject: accountId,
          'content-type': 'application/json',
        }),
        data: {
          requestId: requestIdOf(ours),
          accountId,
          type: 'DSR_TYPE_ERASURE',
          service,
          outcome: 'DSR_OUTCOME_ERASED',
        },
      },
    ]);
    expect(answersTo(requestIdOf(foreign))).toEqual([]);
    expect(erased).toEqual([`${accountId} ${requestIdOf(ours)}`]);
  });

  it('a redelivered request is not erased again: the same answer is published again', async () => {
    const accountId = uuidv7();
    const first = request(accountId, 'DSR_TYPE_ERASURE', [service]);
    await send(first);
    await waitFor('the answer', async () => answersTo(requestIdOf(first)).length === 1);
    // legal-service's relay retried after a crash (same event id), then it asked again (a new event).
    await send(first, { ...first, id: uuidv7() });
    await waitFor('both repeats', async () => answersTo(requestIdOf(first)).length === 3);
    await sleep(1_000);

    const repeated = answersTo(requestIdOf(first));
    expect(repeated).toHaveLength(3);
    expect(repeated.map((a) => a.data)).toEqual([repeated[0]?.data, repeated[0]?.data, repeated[0]?.data]);
    expect(new Set(repeated.map((a) => a.headers.ce_id)).size).toBe(3);
    expect(erased.filter((line) => line.startsWith(accountId))).toEqual([
      `${accountId} ${requestIdOf(first)}`,
    ]);
  });

  it('an access request gets the export as export_json', async () => {
    const accountId = uuidv7();
    const access = request(accountId, 'DSR_TYPE_ACCESS', [service]);
    await send(access);
    const [answer] = await waitFor('the answer', async () => {
      const found = answersTo(requestIdOf(access));
      return found.length > 0 ? found : undefined;
    });
    expect(answer?.data).toMatchObject({ type: 'DSR_TYPE_ACCESS', outcome: 'DSR_OUTCOME_EXPORTED' });
    expect(JSON.parse(String(answer?.data.exportJson))).toEqual({
      account: { id: accountId },
      sessions: [{ id: 's-1' }],
    });
  });
});

/** Reads `legal.dsr.v1`, keeping the answers `service` (a name of this run's own) publishes. */
async function readAnswers(kafka: Kafka, service: string) {
  const answers: Answer[] = [];
  const consumer = kafka.consumer({ groupId: `dsr-answers-reader-${randomSuffix()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [DSR_TOPIC], fromBeginning: true });
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      if (headers.ce_source !== service) return;
      answers.push({
        key: String(message.key),
        headers,
        data: JSON.parse(String(message.value)) as Record<string, unknown>,
      });
    },
  });
  await joined;
  return {
    answers,
    stop: async () => {
      await consumer.disconnect();
    },
  };
}
