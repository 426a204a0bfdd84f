import type { Kafka, Message, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { EventRecord } from '../src/events/index.ts';
import { deadLetterTopic, KafkaEventConsumer, type KafkaEventConsumerOptions } from '../src/events/index.ts';
import { uuidv7 } from '../src/ids/index.ts';
import { type PendingEvent, toKafkaMessage } from '../src/outbox/cloud-event.ts';
import { appendEvents, OutboxRelay } from '../src/outbox/index.ts';
import {
  createTestDatabase,
  deleteTopic,
  kafkaClient,
  randomSuffix,
  readTopic,
  silentLogger,
  sleep,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

describe('KafkaEventConsumer on real Kafka', () => {
  const env = inject('infraEnv');
  let kafka: Kafka;
  let producer: Producer;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(() => {
    kafka = kafkaClient(env.KAFKA_BROKERS ?? '');
  });

  beforeEach(async () => {
    // One per test: a kafkajs client keeps refreshing metadata of every topic it ever wrote to,
    // and fails once a previous test's topic is deleted.
    const p = kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    producer = p;
    cleanups.push(() => p.disconnect());
  });

  afterEach(async () => {
    // Last registered, first undone: consumers stop before their topics and groups go.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function topic(partitions: number, name = `test.consumer-${randomSuffix()}.v1`): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    cleanups.push(() => deleteTopic(kafka, name));
    return name;
  }

  function group(): string {
    const groupId = `test-consumer-${randomSuffix()}`;
    cleanups.push(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => {});
      await admin.disconnect();
    });
    return groupId;
  }

  /** Settings that keep a test within seconds: quick fetches, heartbeats and retries. */
  function consumer(
    over: Partial<KafkaEventConsumerOptions> & Pick<KafkaEventConsumerOptions, 'groupId' | 'topics'>,
  ) {
    const c = new KafkaEventConsumer({
      kafka,
      logger: silentLogger(),
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 10_000,
      maxWaitTimeInMs: 100,
      retryInitialMs: 50,
      retryMaxMs: 200,
      ...over,
    });
    cleanups.push(() => c.stop());
    return c;
  }

  function pending(topicName: string, i: number, over: Partial<PendingEvent> = {}): PendingEvent {
    return {
      seq: String(i),
      id: uuidv7(),
      topic: topicName,
      key: `acc-${i % 10}`,
      type: 'dev.girok.test.happened.v1',
      source: '/girok/test',
      subject: `acc-${i % 10}`,
      data: JSON.stringify({ n: i }),
      createdAt: new Date(),
      ...over,
    };
  }

  async function produce(topicName: string, events: readonly PendingEvent[]): Promise<void> {
    await producer.send({ topic: topicName, acks: -1, messages: events.map(toKafkaMessage) });
  }

  /** Handled events, in the order the handler finished them. */
  function recorder() {
    const handled: EventRecord[] = [];
    return { handled, handler: (event: EventRecord) => void handled.push(event) };
  }

  it('hands over what the OutboxRelay published, decoded to the appended events', async () => {
    const name = await topic(3);
    const database: TestDatabase = await createTestDatabase(env.DATABASE_URL ?? '');
    cleanups.push(() => database.drop());
    const relay = new OutboxRelay({
      db: database.db,
      session: database.url,
      kafka,
      logger: silentLogger(),
      options: { pollIntervalMs: 100 },
    });
    relay.start();
    cleanups.push(() => relay.stop());
    const { handled, handler } = recorder();
    await consumer({ groupId: group(), topics: [name] }).start(handler);

    const before = Date.now();
    const [withSubject, withoutSubject] = await database.db.transaction().execute((trx) =>
      appendEvents(trx, [
        {
          topic: name,
          key: 'acc-1',
          subject: 'acc-1',
          type: 'dev.girok.identity.account.created.v1',
          source: '/girok/identity-service',
          data: { email: 'ada@example.com', tags: ['a'] },
        },
        {
          topic: name,
          key: 'acc-2',
          type: 'dev.girok.identity.account.deleted.v1',
          source: '/girok/identity-service',
          data: [1, 'two'],
        },
      ]),
    );
    const after = Date.now();
    await waitFor('both events', async () => handled.length === 2, 15_000);

    const byId = new Map(handled.map((e) => [e.id, e]));
    expect(byId.get(withSubject ?? '')).toEqual({
      id: withSubject,
      topic: name,
      key: 'acc-1',
      type: 'dev.girok.identity.account.created.v1',
      source: '/girok/identity-service',
      subject: 'acc-1',
      time: expect.any(Date),
      data: { email: 'ada@example.com', tags: ['a'] },
    });
    expect(byId.get(withoutSubject ?? '')).toMatchObject({
      key: 'acc-2',
      type: 'dev.girok.identity.account.deleted.v1',
      subject: null,
      data: [1, 'two'],
    });
    for (const event of handled) {
      expect(event.time.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(event.time.getTime()).toBeLessThanOrEqual(after + 1000);
    }
  });

  it('hands over records of a raw producer using the binding with every attribute intact', async () => {
    const name = await topic(1);
    const { handled, handler } = recorder();
    await consumer({ groupId: group(), topics: [name] }).start(handler);
    const sent = [
      pending(name, 1),
      pending(name, 2, { subject: null, data: '{"nested":{"deep":[true,null]}}' }),
    ];
    await produce(name, sent);
    await waitFor('both events', async () => handled.length === 2, 10_000);
    expect(handled).toEqual(
      sent.map((e) => ({
        id: e.id,
        topic: name,
        key: e.key,
        type: e.type,
        source: e.source,
        subject: e.subject,
        time: e.createdAt,
        data: JSON.parse(e.data),
      })),
    );
  });

  it('retries a failing handler without moving past its event, then goes on in order', async () => {
    const name = await topic(1);
    const registry = new Registry();
    const groupId = group();
    const attempts: number[] = [];
    const handled: number[] = [];
    let failuresLeft = 2;
    await consumer({ groupId, topics: [name], registry }).start((event) => {
      const n = (event.data as { n: number }).n;
      attempts.push(n);
      if (n === 1 && failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('downstream unavailable');
      }
      handled.push(n);
    });
    await produce(
      name,
      Array.from({ length: 5 }, (_, i) => pending(name, i, { key: 'acc-1' })),
    );
    await waitFor('five events handled', async () => handled.length === 5, 10_000);
    await sleep(300); // nothing is delivered again
    expect(attempts).toEqual([0, 1, 1, 1, 2, 3, 4]);
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    const counted = (await registry.getSingleMetricAsString('girok_consumer_events_total')).split('\n');
    expect(counted).toContain(
      `girok_consumer_events_total{topic="${name}",group="${groupId}",result="handled"} 5`,
    );
    expect(counted).toContain(
      `girok_consumer_events_total{topic="${name}",group="${groupId}",result="failed"} 2`,
    );
  });

  it('keeps its partitions while it waits out a failing handler longer than the session timeout', async () => {
    const name = await topic(1);
    const groupId = group();
    const handled: number[] = [];
    const failUntil = Date.now() + 7_500; // the session times out after 6 s without heartbeats
    await consumer({ groupId, topics: [name], retryMaxMs: 2_000 }).start((event) => {
      const n = (event.data as { n: number }).n;
      if (n === 0 && Date.now() < failUntil) throw new Error('downstream unavailable');
      handled.push(n);
    });
    await produce(name, [pending(name, 0, { key: 'acc-1' }), pending(name, 1, { key: 'acc-1' })]);
    await waitFor('both events', async () => handled.length === 2, 15_000);
    await sleep(500);
    // Evicted from the group, it could not have committed the event and would have got it again.
    expect(handled).toEqual([0, 1]);
    expect(await groupIsStable(kafka, groupId, 1)).toBe(true);
  });

  it('stop cuts a retry short without committing the event, which the next consumer gets first', async () => {
    const name = await topic(1);
    const groupId = group();
    let attempts = 0;
    const first = consumer({ groupId, topics: [name], retryInitialMs: 5_000, retryMaxMs: 5_000 });
    await first.start(() => {
      attempts += 1;
      throw new Error('downstream unavailable');
    });
    await produce(name, [pending(name, 0, { key: 'acc-1' }), pending(name, 1, { key: 'acc-1' })]);
    await waitFor('a failed attempt', async () => attempts > 0, 10_000);
    const stopping = Date.now();
    await first.stop();
    expect(Date.now() - stopping).toBeLessThan(3_000);

    const { handled, handler } = recorder();
    await consumer({ groupId, topics: [name] }).start(handler);
    await waitFor('both events', async () => handled.length === 2, 10_000);
    expect(handled.map((e) => (e.data as { n: number }).n)).toEqual([0, 1]);
  });

  it('loses nothing when stopped and restarted mid-stream: every event is handled at least once', async () => {
    const name = await topic(3);
    const groupId = group();
    const total = 300;
    const events = Array.from({ length: total }, (_, i) => pending(name, i));
    const seen = new Map<string, number>();
    const handler = async (event: EventRecord) => {
      await sleep(1);
      seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
    };
    const first = consumer({ groupId, topics: [name] });
    await first.start(handler);
    // Produced while the consumers come and go.
    const producing = (async () => {
      for (let i = 0; i < total; i += 20) {
        await produce(name, events.slice(i, i + 20));
        await sleep(20);
      }
    })();
    await waitFor('the first consumer to be part way', async () => seen.size >= 60, 10_000, 5);
    await first.stop();
    const handledByFirst = seen.size;
    expect(handledByFirst).toBeLessThan(total);

    await consumer({ groupId, topics: [name] }).start(handler);
    await producing;
    await waitFor('every event', async () => seen.size === total, 15_000);
    expect(events.filter((e) => !seen.has(e.id))).toEqual([]);
    // At least once: a restart may replay what was handled but not yet committed, never more than a batch.
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    expect(duplicates).toBeLessThan(total / 2);
  });

  it('stop lets the event in hand finish and commits it, so a restart starts after it', async () => {
    const name = await topic(1);
    const groupId = group();
    const delivered: number[] = [];
    let finished = false;
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = consumer({ groupId, topics: [name] });
    await first.start(async (event) => {
      delivered.push((event.data as { n: number }).n);
      entered();
      await sleep(500);
      finished = true;
    });
    await produce(
      name,
      Array.from({ length: 3 }, (_, i) => pending(name, i, { key: 'acc-1' })),
    );
    await inHandler;
    await first.stop();
    expect(finished).toBe(true);
    expect(delivered).toEqual([0]);

    const { handled, handler } = recorder();
    await consumer({ groupId, topics: [name] }).start(handler);
    await waitFor('the rest', async () => handled.length === 2, 10_000);
    expect(handled.map((e) => (e.data as { n: number }).n)).toEqual([1, 2]);
  });

  it('shares partitions between two consumers of one group: each event is handled by exactly one', async () => {
    const name = await topic(4);
    const groupId = group();
    const byConsumer: [string[], string[]] = [[], []];
    await consumer({ groupId, topics: [name] }).start((e) => void byConsumer[0].push(e.id));
    await consumer({ groupId, topics: [name] }).start((e) => void byConsumer[1].push(e.id));
    await waitFor('a stable group of two', () => groupIsStable(kafka, groupId, 2), 10_000);

    const events = Array.from({ length: 100 }, (_, i) => pending(name, i, { key: `acc-${i % 20}` }));
    await produce(name, events);
    await waitFor('every event', async () => new Set(byConsumer.flat()).size === 100, 10_000);
    await sleep(300); // nothing is delivered twice
    expect(byConsumer.flat()).toHaveLength(100);
    expect(byConsumer[0].length).toBeGreaterThan(0);
    expect(byConsumer[1].length).toBeGreaterThan(0);
  });

  it('moves an undecodable record to the dead-letter topic and handles the events around it', async () => {
    const name = await topic(1);
    const groupId = group();
    const dlq = await topic(1, deadLetterTopic(name, groupId));
    const registry = new Registry();
    const { handled, handler } = recorder();
    await consumer({ groupId, topics: [name], registry }).start(handler);
    const [before, after] = [pending(name, 0), pending(name, 2)];
    const poison: Message = {
      key: 'acc-1',
      value: '{"n":1}',
      headers: { 'x-note': 'no CloudEvents headers' },
    };
    await producer.send({
      topic: name,
      acks: -1,
      messages: [toKafkaMessage(before), poison, toKafkaMessage(after)],
    });

    await waitFor('the two good events', async () => handled.length === 2, 10_000);
    expect(handled.map((e) => e.id)).toEqual([before.id, after.id]);
    const [dead, ...more] = await readTopic(kafka, dlq);
    expect(more).toEqual([]);
    expect(dead).toMatchObject({
      key: 'acc-1',
      value: '{"n":1}',
      headers: {
        'x-note': 'no CloudEvents headers',
        dlq_topic: name,
        dlq_partition: '0',
        dlq_offset: '1',
        dlq_group: groupId,
        dlq_reason: expect.stringContaining('no ce_specversion header'),
      },
    });
    expect(await registry.getSingleMetricAsString('girok_consumer_events_total')).toContain(
      `girok_consumer_events_total{topic="${name}",group="${groupId}",result="dead_lettered"} 1`,
    );
  });

  it('without a dead-letter topic, logs and skips an undecodable record and handles the rest', async () => {
    const name = await topic(1);
    const groupId = group();
    const registry = new Registry();
    const { handled, handler } = recorder();
    await consumer({ groupId, topics: [name], registry }).start(handler);
    const [before, after] = [pending(name, 0), pending(name, 2)];
    const notJson: Message = { ...toKafkaMessage(pending(name, 1)), value: '{truncated' };
    await producer.send({
      topic: name,
      acks: -1,
      messages: [toKafkaMessage(before), notJson, toKafkaMessage(after)],
    });

    await waitFor('the two good events', async () => handled.length === 2, 10_000);
    expect(handled.map((e) => e.id)).toEqual([before.id, after.id]);
    expect(await registry.getSingleMetricAsString('girok_consumer_events_total')).toContain(
      `girok_consumer_events_total{topic="${name}",group="${groupId}",result="skipped"} 1`,
    );
  });
});

/** Whether the group has settled (every member synced) with this many members. */
async function groupIsStable(kafka: Kafka, groupId: string, members: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' && groups[0].members.length === members;
  } finally {
    await admin.disconnect();
  }
}
