import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logging/logger.ts';
import { type OutboxEventInput, OutboxRelay } from '../src/outbox/index.ts';
import {
  appendInTransactions,
  CuttableKafkaLink,
  createTestbed,
  kafkaClient,
  pendingCount,
  readTopic,
  recordCount,
  sleep,
  type Testbed,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

interface LogLine {
  readonly level: number;
  readonly msg: string;
}

describe('outbox relay while Kafka is unreachable', () => {
  const env = inject('infraEnv');
  let kafka: Kafka;
  let database: TestDatabase;
  let topic: string;
  let relay: OutboxRelay | undefined;

  let bed: Testbed;
  beforeEach(async () => {
    bed = await createTestbed(env);
    ({ kafka, database, topic } = bed);
  });

  afterEach(async () => {
    await relay?.stop();
    await bed.teardown();
  });

  it('keeps events pending, warns once, and delivers each exactly once when Kafka is back', async () => {
    const lines: LogLine[] = [];
    const logger = createLogger(
      { service: 'outbox-test', level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as LogLine);
          done();
        },
      }),
    );
    const link = new CuttableKafkaLink();
    // The relay reaches the broker only through the link; the test's own client does not.
    const relayKafka = kafkaClient(env.KAFKA_BROKERS ?? '', {
      socketFactory: link.factory,
      connectionTimeout: 500,
      retry: { initialRetryTime: 50, maxRetryTime: 300, retries: 2 },
    });
    const registry = new Registry();
    relay = new OutboxRelay({
      db: database.db,
      session: database.url,
      kafka: relayKafka,
      logger,
      registry,
      options: { pollIntervalMs: 100, backoffInitialMs: 100, backoffMaxMs: 500, sendRetries: 2 },
    });
    relay.start();
    const events = (round: string, count: number): OutboxEventInput[] =>
      Array.from({ length: count }, (_, n) => ({
        topic,
        key: `acc-${n % 5}`,
        type: 'dev.girok.identity.account.updated.v1',
        source: '/girok/identity-service',
        data: { round, n },
      }));

    const before = await appendInTransactions(database.db, events('before', 20), 10);
    await waitFor('the first events on Kafka', async () => (await recordCount(kafka, topic)) === 20);

    await link.cut();
    const during = await appendInTransactions(database.db, events('during', 50), 10);
    await sleep(3000); // many failed attempts at the relay's backoff

    expect(await pendingCount(database.db)).toBe(50);
    expect(await recordCount(kafka, topic)).toBe(20);
    const errors = await registry.getSingleMetric('girok_outbox_publish_errors_total')?.get();
    expect(errors?.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(2);
    const warnings = () => lines.filter((l) => l.level === 40 && l.msg.startsWith('Kafka failing'));
    expect(warnings()).toHaveLength(1);

    link.restore();
    await waitFor('the outbox to drain', async () => (await pendingCount(database.db)) === 0, 60_000);

    const records = await readTopic(kafka, topic);
    expect(records).toHaveLength(70);
    expect(new Set(records.map((r) => r.headers.ce_id))).toEqual(new Set([...before, ...during]));
    expect(warnings()).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'Kafka working again')).toHaveLength(1);
  }, 90_000);
});
