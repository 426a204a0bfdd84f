import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';

describe('Kafka (KRaft) through kafkajs', () => {
  const suffix = randomUUID().slice(0, 8);
  const topic = `smoke.account.${suffix}.v1`;
  const groupId = `smoke-${suffix}`;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: 'girok-smoke',
      brokers: infraEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.ERROR,
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect();
  });

  it('creates a topic with the partitions and config asked for', async () => {
    const created = await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '604800000' }],
        },
      ],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers every produced message to a consumer group, in order per key', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const keys = ['acc-1', 'acc-2', 'acc-3', 'acc-4'];
    const sent = keys.flatMap((key) =>
      Array.from({ length: 5 }, (_, seq) => ({ key, value: JSON.stringify({ key, seq }) })),
    );
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number; partition: number }[] = [];
    // Done when the group has committed past every message (commits trail processing).
    const committed = new Map<number, number>();
    const allCommitted = new Promise<void>((resolve) => {
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const t of payload.topics)
          for (const p of t.partitions) committed.set(p.partition, Number(p.offset));
        if ([...committed.values()].reduce((a, b) => a + b, 0) === sent.length) resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const body = JSON.parse(message.value?.toString() ?? '{}') as { key: string; seq: number };
        received.push({ ...body, partition });
      },
    });
    await allCommitted;
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    for (const key of keys) {
      const ofKey = received.filter((m) => m.key === key);
      expect(ofKey.map((m) => m.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
    }
    // A partition no key hashed to has no commit (offset -1).
    const stored = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(stored[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(
      sent.length,
    );
  });
});
