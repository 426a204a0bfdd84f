import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';

/** A CloudEvent as a test sees it on a topic (binary binding: `ce_` headers, JSON value). */
export interface SeenEvent {
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  readonly source: string;
  readonly key: string;
  readonly data: Record<string, unknown>;
}

export interface TopicWatcher {
  /** Everything published on the topics since `watchTopics` returned, in arrival order. */
  readonly events: SeenEvent[];
  stop(): Promise<void>;
}

/**
 * Records what is published on `topics` from now on (the current high-water marks), for a test
 * that asserts on the events a service emits. A consumer group of its own, so nothing is shared.
 */
export async function watchTopics(brokers: string, topics: readonly string[]): Promise<TopicWatcher> {
  const kafka = new kafkajs.Kafka({ brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const marks = new Map<string, { partition: number; offset: string }[]>();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      marks.set(
        topic,
        offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      );
    }
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `topic-watcher-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const events: SeenEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const header = (name: string) => message.headers?.[name]?.toString() ?? '';
      events.push({
        id: header('ce_id'),
        topic,
        type: header('ce_type'),
        source: header('ce_source'),
        key: message.key?.toString() ?? '',
        data: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
      });
    },
  });
  for (const [topic, partitions] of marks) {
    for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
  }
  return { events, stop: () => consumer.disconnect() };
}

/** Polls `check` until it returns a value, or fails naming `what`. */
export async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every key of every object in `value`, however deep (to prove an export holds no secret field). */
export function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

const admin = (brokers: string) =>
  new kafkajs.Kafka({ brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();

/** Creates the topics that are missing (the brokers here do not auto-create); races are harmless. */
export async function ensureTopics(
  brokers: string,
  topics: readonly string[],
  partitions = 3,
): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await client.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    }
  } catch (error) {
    // Another suite created one at the same moment.
    if (!/already exists/i.test(String((error as Error).message))) throw error;
  } finally {
    await client.disconnect();
  }
}

/**
 * A consumer group of its own whose offsets start at the current end of `topic`: the instance
 * under test handles what is sent from now on, not what other suites left on the shared broker.
 */
export async function groupAtEnd(
  brokers: string,
  topic: string,
  prefix: string,
): Promise<{ groupId: string; drop(): Promise<void> }> {
  const groupId = `${prefix}-${randomUUID()}`;
  const client = admin(brokers);
  await client.connect();
  try {
    const offsets = await client.fetchTopicOffsets(topic);
    await client.setOffsets({
      groupId,
      topic,
      partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
    });
  } finally {
    await client.disconnect();
  }
  return {
    groupId,
    drop: async () => {
      const cleanup = admin(brokers);
      await cleanup.connect();
      await cleanup.deleteGroups([groupId]).catch(() => {});
      await cleanup.disconnect();
    },
  };
}
