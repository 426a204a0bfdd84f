import kafkajs, { type SASLOptions } from 'kafkajs';

// kafkajs is CommonJS; Node's named-export detection misses ConfigResourceTypes.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

import type { TopicSpec } from '../specs/topics.ts';

export interface BrokerAccess {
  readonly brokers: readonly string[];
  readonly sasl?: { readonly username: string; readonly password: string };
}

export interface ConvergedTopic {
  name: string;
  partitions: number;
}

/** The Kafka admin edge: create missing topics, grow partitions, converge configs; never shrink. */
export interface TopicAdmin {
  converge(access: BrokerAccess, topics: readonly TopicSpec[]): Promise<ConvergedTopic[]>;
  remove(access: BrokerAccess, names: readonly string[]): Promise<void>;
}

const client = (access: BrokerAccess) =>
  new Kafka({
    clientId: 'girok-operator',
    brokers: [...access.brokers],
    ...(access.sasl
      ? { sasl: { mechanism: 'scram-sha-512', ...access.sasl } as SASLOptions, ssl: true }
      : {}),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  }).admin();

const configEntries = (t: TopicSpec) => Object.entries(t.configs).map(([name, value]) => ({ name, value }));

export function kafkaTopicAdmin(): TopicAdmin {
  return {
    async converge(access, topics) {
      const admin = client(access);
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.name));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((t) => ({
              topic: t.name,
              numPartitions: t.partitions,
              configEntries: configEntries(t),
            })),
          });
        }
        const present = topics.filter((t) => existing.has(t.name));
        if (present.length > 0) {
          const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
          const grow = present.flatMap((t) => {
            const current = metadata.topics.find((m) => m.name === t.name)?.partitions.length ?? 0;
            return t.partitions > current ? [{ topic: t.name, count: t.partitions }] : [];
          });
          if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
          const described = await admin.describeConfigs({
            includeSynonyms: false,
            resources: present.map((t) => ({
              type: ConfigResourceTypes.TOPIC,
              name: t.name,
              configNames: Object.keys(t.configs),
            })),
          });
          const drifted = present.filter((t) => {
            const live = described.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
            return Object.entries(t.configs).some(
              ([name, value]) => live.find((e) => e.configName === name)?.configValue !== value,
            );
          });
          if (drifted.length > 0) {
            await admin.alterConfigs({
              validateOnly: false,
              resources: drifted.map((t) => ({
                type: ConfigResourceTypes.TOPIC,
                name: t.name,
                configEntries: configEntries(t),
              })),
            });
          }
        }
        const final = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
        return final.topics
          .map((m) => ({ name: m.name, partitions: m.partitions.length }))
          .sort((a, b) => a.name.localeCompare(b.name));
      } finally {
        await admin.disconnect();
      }
    },
    async remove(access, names) {
      const admin = client(access);
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const doomed = names.filter((n) => existing.has(n));
        if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
