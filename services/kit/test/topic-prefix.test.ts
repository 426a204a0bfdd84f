import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type EventRecord, KafkaEventConsumer, kafkaClient as platformKafka } from '../src/events/index.ts';
import { appendEvents, OutboxRelay } from '../src/outbox/index.ts';
import {
  createTestDatabase,
  kafkaClient,
  randomSuffix,
  silentLogger,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

/**
 * Two platforms on one broker, each naming the same topic and the same consumer group in its code:
 * under their KAFKA_TOPIC_PREFIX they never meet, from the outbox relay to the consumer.
 */
describe('the topic prefix on real Kafka', () => {
  const env = inject('infraEnv');
  const brokers = (env.KAFKA_BROKERS ?? '').split(',');
  const raw: Kafka = kafkaClient(env.KAFKA_BROKERS ?? '');
  const suffix = randomSuffix();
  const topic = `test.prefix-${suffix}.v1`;
  const group = `test-prefix-${suffix}`;
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  async function platform(prefix: string) {
    const kafka = platformKafka({ brokers, topicPrefix: prefix }, `prefix-test-${prefix}`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    cleanups.push(async () => {
      await admin.deleteTopics({ topics: [topic] });
      await admin.deleteGroups([group]).catch(() => {});
      await admin.disconnect();
    });
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
    const handled: EventRecord[] = [];
    const consumer = new KafkaEventConsumer({
      kafka,
      groupId: group,
      topics: [topic],
      logger: silentLogger(),
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 300,
      maxWaitTimeInMs: 100,
    });
    await consumer.start((event) => void handled.push(event));
    cleanups.push(() => consumer.stop());
    const publish = (key: string) =>
      database.db
        .transaction()
        .execute((trx) =>
          appendEvents(trx, [{ topic, key, type: 'dev.girok.test.v1', source: `/${prefix}`, data: { key } }]),
        );
    return { handled, publish, admin };
  }

  it('keeps each platform’s events, topics and groups apart under the same names', async () => {
    const a = await platform(`pa-${suffix}.`);
    const b = await platform(`pb-${suffix}.`);
    await a.publish('from-a');
    await b.publish('from-b');
    await waitFor(
      'each platform’s event',
      async () => a.handled.length >= 1 && b.handled.length >= 1,
      30_000,
    );

    expect(a.handled.map((e) => [e.topic, e.key])).toEqual([[topic, 'from-a']]);
    expect(b.handled.map((e) => [e.topic, e.key])).toEqual([[topic, 'from-b']]);

    // On the broker: two topics and two groups, each under its prefix; none by the bare name.
    const admin = raw.admin();
    await admin.connect();
    try {
      const names = await admin.listTopics();
      expect(names).toEqual(expect.arrayContaining([`pa-${suffix}.${topic}`, `pb-${suffix}.${topic}`]));
      expect(names).not.toContain(topic);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups).toEqual(expect.arrayContaining([`pa-${suffix}.${group}`, `pb-${suffix}.${group}`]));
      expect(groups).not.toContain(group);
    } finally {
      await admin.disconnect();
    }
    // Each platform's admin sees only its own topics, by their catalogue names.
    expect(await a.admin.listTopics()).toContain(topic);
    expect((await a.admin.listTopics()).some((t) => t.startsWith('pb-'))).toBe(false);
  });
});
