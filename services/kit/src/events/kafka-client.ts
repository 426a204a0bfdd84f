import {
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopics,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { ConfigReader } from '../config/config-reader.ts';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How a service reaches Kafka: KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX. */
export interface KafkaSettings {
  /** Empty: local mode, events travel on the in-process bus. */
  readonly brokers: readonly string[];
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /**
   * Put before every topic and consumer group on the broker (e.g. `girok.`), so that platforms
   * sharing a broker never read each other's events. The code names topics without it.
   */
  readonly topicPrefix: string;
}

const PREFIX = /^[A-Za-z0-9._-]{0,100}$/;

/** Reads the Kafka settings every service shares, validated with the rest of its config. */
export function readKafkaSettings(read: ConfigReader): KafkaSettings {
  const brokers = read.list('KAFKA_BROKERS', []);
  const topicPrefix = read.string('KAFKA_TOPIC_PREFIX', '');
  if (!PREFIX.test(topicPrefix)) {
    read.problem('KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-" (at most 100)');
  }
  const username = read.optionalString('KAFKA_SASL_USERNAME');
  const password = read.optionalString('KAFKA_SASL_PASSWORD');
  const mechanism = read.oneOf('KAFKA_SASL_MECHANISM', SASL_MECHANISMS, 'scram-sha-512');
  if ((username === undefined) !== (password === undefined)) {
    read.problem('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together: set both or neither');
  }
  return {
    brokers,
    topicPrefix,
    ...(username !== undefined && password !== undefined ? { sasl: { mechanism, username, password } } : {}),
  };
}

/** The kafkajs connection options of these settings (SASL over the brokers' listener when configured). */
export function kafkaConfig(settings: KafkaSettings, clientId: string): KafkaConfig {
  return {
    clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.NOTHING,
    ...(settings.sasl ? { sasl: { ...settings.sasl } as SASLOptions } : {}),
  };
}

/** The kafkajs client of these settings: SASL when configured, every name under the topic prefix. */
export function kafkaClient(settings: KafkaSettings, clientId: string): Kafka {
  return prefixedKafka(new Kafka(kafkaConfig(settings, clientId)), settings.topicPrefix);
}

/**
 * A kafkajs client that puts `prefix` before every topic and consumer group it sends to the broker
 * and takes it off every topic it hands back: the one place the prefix is applied, so the code
 * (and the in-process bus of local mode) keeps the catalogue's names. Covers what the kit and the
 * services call: subscribe, run, seek, pause/resume, commitOffsets, send, sendBatch, and the
 * admin's topic, offset and group calls.
 */
export function prefixedKafka(kafka: Kafka, prefix: string): Kafka {
  if (prefix === '') return kafka;
  const wire = (topic: string) => `${prefix}${topic}`;
  const logical = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);
  const withTopic = <T extends { topic: string }>(o: T): T => ({ ...o, topic: wire(o.topic) });
  // kafkajs' Batch keeps its methods on the prototype: shadow `topic` without copying it.
  const withLogicalTopic = <T extends object>(o: T & { topic: string }): T =>
    Object.assign(Object.create(o) as T, { topic: logical(o.topic) });

  const consumer = (inner: Consumer): Consumer => ({
    ...inner,
    subscribe: (s) =>
      inner.subscribe(
        'topics' in s
          ? {
              ...s,
              topics: (s as ConsumerSubscribeTopics).topics.map((t) => (typeof t === 'string' ? wire(t) : t)),
            }
          : { ...s, topic: typeof s.topic === 'string' ? wire(s.topic) : s.topic },
      ),
    run: (config?: ConsumerRunConfig) => {
      const { eachBatch, eachMessage } = config ?? {};
      return inner.run({
        ...config,
        ...(eachBatch ? { eachBatch: (p) => eachBatch({ ...p, batch: withLogicalTopic(p.batch) }) } : {}),
        ...(eachMessage ? { eachMessage: (p) => eachMessage({ ...p, topic: logical(p.topic) }) } : {}),
      });
    },
    seek: (o) => inner.seek(withTopic(o)),
    pause: (topics) => inner.pause(topics.map(withTopic)),
    resume: (topics) => inner.resume(topics.map(withTopic)),
    commitOffsets: (offsets) => inner.commitOffsets(offsets.map(withTopic)),
    // Instrumentation events (END_BATCH_PROCESS...) carry the topic in their payload.
    on: ((event: Parameters<Consumer['on']>[0], listener: (e: { payload?: unknown }) => void) =>
      inner.on(
        event as never,
        ((e: { payload?: { topic?: unknown } }) =>
          listener(
            typeof e.payload?.topic === 'string'
              ? { ...e, payload: { ...e.payload, topic: logical(e.payload.topic) } }
              : e,
          )) as never,
      )) as Consumer['on'],
  });

  const producer = (inner: Producer): Producer => ({
    ...inner,
    send: (record) => inner.send(withTopic(record)),
    sendBatch: (batch) =>
      inner.sendBatch({ ...batch, topicMessages: (batch.topicMessages ?? []).map(withTopic) }),
  });

  const admin = (inner: Admin): Admin => ({
    ...inner,
    // Only this platform's topics, under their catalogue names.
    listTopics: async () =>
      (await inner.listTopics()).filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length)),
    fetchTopicMetadata: async (o) => {
      const meta = await inner.fetchTopicMetadata(o?.topics ? { topics: o.topics.map(wire) } : undefined);
      return {
        topics: meta.topics
          .filter((t) => t.name.startsWith(prefix))
          .map((t) => ({ ...t, name: logical(t.name) })),
      };
    },
    fetchTopicOffsets: (topic) => inner.fetchTopicOffsets(wire(topic)),
    fetchTopicOffsetsByTimestamp: (topic, timestamp) =>
      inner.fetchTopicOffsetsByTimestamp(wire(topic), timestamp),
    createTopics: (o) => inner.createTopics({ ...o, topics: o.topics.map(withTopic) }),
    deleteTopics: (o) => inner.deleteTopics({ ...o, topics: o.topics.map(wire) }),
    deleteGroups: (groups) => inner.deleteGroups(groups.map(wire)),
  });

  return Object.assign(Object.create(kafka) as Kafka, {
    consumer: (config: Parameters<Kafka['consumer']>[0]) =>
      consumer(kafka.consumer({ ...config, groupId: wire(config.groupId) })),
    producer: (config?: Parameters<Kafka['producer']>[0]) => producer(kafka.producer(config)),
    admin: (config?: Parameters<Kafka['admin']>[0]) => admin(kafka.admin(config)),
  });
}
