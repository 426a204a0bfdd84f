import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type OutboxEventInput, OutboxRelay } from '../src/outbox/index.ts';
import {
  appendInTransactions,
  createTestbed,
  pendingCount,
  pendingIds,
  readTopic,
  recordCount,
  silentLogger,
  type Testbed,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

const RELAY_PROCESS = fileURLToPath(new URL('./fixtures/outbox-relay-process.ts', import.meta.url));

describe('outbox relay killed mid-batch', () => {
  const env = inject('infraEnv');
  let kafka: Kafka;
  let database: TestDatabase;
  let topic: string;
  let child: ChildProcess | undefined;
  let relay: OutboxRelay | undefined;

  let bed: Testbed;
  beforeEach(async () => {
    bed = await createTestbed(env);
    ({ kafka, database, topic } = bed);
  });

  afterEach(async () => {
    child?.kill('SIGKILL');
    await relay?.stop();
    await bed.teardown();
  });

  it('leaves exactly one copy of every event on Kafka after a SIGKILL between ack and record', async () => {
    const total = 3000;
    const events: OutboxEventInput[] = Array.from({ length: total }, (_, n) => ({
      topic,
      key: `acc-${n % 20}`,
      type: 'dev.girok.identity.account.updated.v1',
      source: '/girok/identity-service',
      data: { n },
    }));
    const ids = await appendInTransactions(database.db, events, 100);

    // The child holds each batch for 400 ms after Kafka's ack before it deletes the rows.
    const stderr: string[] = [];
    child = spawn(process.execPath, [RELAY_PROCESS], {
      env: {
        ...process.env,
        OUTBOX_DATABASE_URL: database.url,
        OUTBOX_KAFKA_BROKERS: env.KAFKA_BROKERS ?? '',
        OUTBOX_BATCH_SIZE: '200',
        OUTBOX_ACK_DELAY_MS: '400',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = once(child, 'exit');

    // Kill once a third of the events are on Kafka: that batch is acked and not yet recorded.
    await waitFor(
      `a third of the events on Kafka (child stderr: ${stderr.join('')})`,
      async () => (await recordCount(kafka, topic)) >= total / 3,
      60_000,
      5,
    );
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');

    // The situation recovery exists for: rows still pending whose events are already on Kafka.
    const onKafka = new Set((await readTopic(kafka, topic)).map((r) => r.headers.ce_id));
    const pending = await pendingIds(database.db);
    const publishedButPending = pending.filter((id) => onKafka.has(id));
    expect(publishedButPending.length).toBeGreaterThan(0);
    expect(onKafka.size).toBeLessThan(total);
    // Nothing lost so far: every event is on Kafka, pending, or both.
    expect(new Set([...onKafka, ...pending])).toEqual(new Set(ids));

    // A new relay takes the lock the dead one held (its session ended with the process).
    const registry = new Registry();
    relay = new OutboxRelay({
      db: database.db,
      session: database.url,
      kafka,
      logger: silentLogger(),
      registry,
      options: { pollIntervalMs: 100, takeoverIntervalMs: 200 },
    });
    relay.start();
    await waitFor('the outbox to drain', async () => (await pendingCount(database.db)) === 0, 60_000);
    await relay.stop();

    const records = await readTopic(kafka, topic);
    const copies = new Map<string, number>();
    for (const record of records) {
      const id = record.headers.ce_id ?? '';
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    const duplicated = [...copies].filter(([, n]) => n > 1).length;
    expect(duplicated, 'events on Kafka more than once').toBe(0);
    expect(new Set(copies.keys())).toEqual(new Set(ids));
    expect(records).toHaveLength(total);
    expect(await pendingCount(database.db)).toBe(0);

    const recovered = (await registry.getSingleMetric('girok_outbox_recovered_total')?.get())?.values[0]
      ?.value;
    expect(recovered).toBe(publishedButPending.length);
  }, 180_000);
});
