import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReader } from '../config/config-reader.ts';
import { kafkaConfig, prefixedKafka, readKafkaSettings } from './kafka-client.ts';

const read = (env: Record<string, string>) => {
  const reader = new ConfigReader(env);
  const settings = readKafkaSettings(reader);
  reader.done();
  return settings;
};

describe('Kafka settings', () => {
  it('reads the brokers, no SASL and no prefix by default (local mode and tests)', () => {
    expect(read({})).toEqual({ brokers: [], topicPrefix: '' });
    expect(read({ KAFKA_BROKERS: 'a:9092, b:9092' })).toEqual({
      brokers: ['a:9092', 'b:9092'],
      topicPrefix: '',
    });
  });

  it('reads SASL credentials with SCRAM-SHA-512 unless told otherwise', () => {
    expect(read({ KAFKA_SASL_USERNAME: 'girok', KAFKA_SASL_PASSWORD: 's3cret' }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'girok',
      password: 's3cret',
    });
    expect(
      read({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'plain' }).sasl
        ?.mechanism,
    ).toBe('plain');
  });

  it('refuses half a credential, an unknown mechanism or a prefix a topic cannot carry, never echoing the password', () => {
    expect(() => read({ KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(ConfigError);
    expect(() => read({ KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(
      /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(() => read({ KAFKA_SASL_PASSWORD: 'hunter2' })).not.toThrow(/hunter2/);
    expect(() => read({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM/);
    expect(() => read({ KAFKA_TOPIC_PREFIX: 'a/b' })).toThrow(/KAFKA_TOPIC_PREFIX/);
    expect(read({ KAFKA_TOPIC_PREFIX: 'girok-dev.' }).topicPrefix).toBe('girok-dev.');
  });

  it('hands the SASL settings to the kafkajs client, and none without them', () => {
    const sasl = { mechanism: 'scram-sha-256', username: 'u', password: 'p' } as const;
    expect(kafkaConfig({ brokers: ['k:9092'], topicPrefix: '', sasl }, 'svc')).toMatchObject({
      clientId: 'svc',
      brokers: ['k:9092'],
      sasl,
    });
    expect(kafkaConfig({ brokers: ['k:9092'], topicPrefix: '' }, 'svc').sasl).toBeUndefined();
  });
});

/** A kafkajs stand-in recording what reaches the broker: the prefix is pure name mapping. */
function recordingKafka() {
  const calls: unknown[] = [];
  const record =
    (name: string, answer: unknown = undefined) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return answer;
    };
  const kafka = {
    consumer: (config: unknown) => {
      calls.push(['consumer', config]);
      return {
        subscribe: record('subscribe'),
        seek: (o: unknown) => calls.push(['seek', o]),
        run: async (config: { eachBatch: (p: unknown) => Promise<void> }) => {
          const batch = Object.assign(Object.create({ isEmpty: () => false }), {
            topic: 'p.a.v1',
            partition: 0,
          });
          await config.eachBatch({ batch });
        },
      };
    },
    producer: () => ({ send: record('send'), sendBatch: record('sendBatch') }),
    admin: () => ({
      listTopics: record('listTopics', ['p.a.v1', 'other.a.v1', 'p.b.v1']),
      fetchTopicOffsets: record('fetchTopicOffsets'),
      deleteGroups: record('deleteGroups'),
    }),
  };
  return { kafka: kafka as unknown as Kafka, calls };
}

describe('the topic prefix', () => {
  it('puts the prefix before every topic and group sent, and takes it off every topic handed back', async () => {
    const { kafka, calls } = recordingKafka();
    const prefixed = prefixedKafka(kafka, 'p.');
    const consumer = prefixed.consumer({ groupId: 'audit-service' });
    await consumer.subscribe({ topics: ['a.v1'], fromBeginning: true });
    consumer.seek({ topic: 'a.v1', partition: 0, offset: '4' });
    const seen: { topic: string; empty: boolean }[] = [];
    await consumer.run({
      eachBatch: async ({ batch }) => void seen.push({ topic: batch.topic, empty: batch.isEmpty() }),
    });
    await prefixed.producer().send({ topic: 'a.v1', messages: [] });
    await prefixed.producer().sendBatch({ topicMessages: [{ topic: 'b.v1', messages: [] }] });
    const admin = prefixed.admin();
    expect(await admin.listTopics()).toEqual(['a.v1', 'b.v1']);
    await admin.fetchTopicOffsets('a.v1');
    await admin.deleteGroups(['audit-service']);

    expect(seen).toEqual([{ topic: 'a.v1', empty: false }]);
    expect(calls).toEqual([
      ['consumer', { groupId: 'p.audit-service' }],
      ['subscribe', { topics: ['p.a.v1'], fromBeginning: true }],
      ['seek', { topic: 'p.a.v1', partition: 0, offset: '4' }],
      ['send', { topic: 'p.a.v1', messages: [] }],
      ['sendBatch', { topicMessages: [{ topic: 'p.b.v1', messages: [] }] }],
      ['listTopics'],
      ['fetchTopicOffsets', 'p.a.v1'],
      ['deleteGroups', ['p.audit-service']],
    ]);
  });

  it('leaves the client as it is without a prefix', () => {
    const { kafka } = recordingKafka();
    expect(prefixedKafka(kafka, '')).toBe(kafka);
  });
});
