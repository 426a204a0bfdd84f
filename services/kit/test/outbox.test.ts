import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  appendEvents,
  type OutboxEventInput,
  OutboxRelay,
  type OutboxRelayOptions,
} from '../src/outbox/index.ts';
import {
  appendInTransactions,
  createTestbed,
  pendingCount,
  readTopic,
  recordCount,
  silentLogger,
  sleep,
  type Testbed,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('outbox relay on PostgreSQL and Kafka', () => {
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
    relay = undefined;
    await bed.teardown();
  });

  function startRelay(options: OutboxRelayOptions, registry?: Registry) {
    relay = new OutboxRelay({
      db: database.db,
      session: database.url,
      kafka,
      logger: silentLogger(),
      options,
      ...(registry === undefined ? {} : { registry }),
    });
    relay.start();
    return relay;
  }

  const event = (over: Partial<OutboxEventInput> = {}): OutboxEventInput => ({
    topic,
    key: 'acc-1',
    type: 'dev.girok.identity.account.created.v1',
    source: '/girok/identity-service',
    data: { email: 'ada@example.com' },
    ...over,
  });

  it('publishes events of a committed transaction as CloudEvents and never those of a rolled-back one', async () => {
    startRelay({ pollIntervalMs: 100 });
    const before = Date.now();

    await expect(
      database.db.transaction().execute(async (trx) => {
        await appendEvents(trx, [event({ type: 'dev.girok.test.rolled-back.v1', key: 'acc-0' })]);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const [withSubject, withoutSubject] = await database.db
      .transaction()
      .execute((trx) =>
        appendEvents(trx, [
          event({ subject: 'acc-1', data: { email: 'ada@example.com', tags: ['a', 'b'], big: 2 ** 60 } }),
          event({ key: 'acc-2', type: 'dev.girok.identity.account.deleted.v1', data: [1, 'two'] }),
        ]),
      );
    const after = Date.now();

    await waitFor('the outbox to drain', async () => (await pendingCount(database.db)) === 0);
    // Several more poll rounds: a rolled-back event that existed anywhere would show up by now.
    await sleep(500);
    const records = await readTopic(kafka, topic);

    expect(records.map((r) => r.headers.ce_id)).toEqual(
      // Keys differ, so partitions may differ: compare as a set, then look at each one.
      expect.arrayContaining([withSubject, withoutSubject]),
    );
    expect(records).toHaveLength(2);
    expect(records.some((r) => r.headers.ce_type === 'dev.girok.test.rolled-back.v1')).toBe(false);

    const first = records.find((r) => r.headers.ce_id === withSubject);
    expect(first?.key).toBe('acc-1');
    expect(JSON.parse(first?.value ?? '')).toEqual({
      email: 'ada@example.com',
      tags: ['a', 'b'],
      big: 2 ** 60,
    });
    expect(first?.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: withSubject,
      ce_source: '/girok/identity-service',
      ce_type: 'dev.girok.identity.account.created.v1',
      ce_subject: 'acc-1',
      ce_time: expect.stringMatching(RFC3339),
      'content-type': 'application/json',
    });
    const time = Date.parse(first?.headers.ce_time ?? '');
    expect(time).toBeGreaterThanOrEqual(before - 1000);
    expect(time).toBeLessThanOrEqual(after + 1000);

    const second = records.find((r) => r.headers.ce_id === withoutSubject);
    expect(second?.key).toBe('acc-2');
    expect(JSON.parse(second?.value ?? '')).toEqual([1, 'two']);
    expect(second?.headers).not.toHaveProperty('ce_subject');
    expect(second?.headers.ce_type).toBe('dev.girok.identity.account.deleted.v1');
  });

  it('refuses data that is not JSON, inside the caller transaction', async () => {
    await expect(
      database.db.transaction().execute((trx) => appendEvents(trx, [event({ data: undefined })])),
    ).rejects.toThrow(/not JSON-serialisable/);
    expect(await pendingCount(database.db)).toBe(0);
  });

  it('wakes on the insert notification instead of waiting for the next poll', async () => {
    // A poll a minute apart: only the NOTIFY can bring the event over within seconds.
    const r = startRelay({ pollIntervalMs: 60_000 });
    await waitFor('leadership', async () => r.isLeader);
    await sleep(300); // past recovery, idle in the poll wait

    const appended = Date.now();
    await database.db.transaction().execute((trx) => appendEvents(trx, [event()]));
    await waitFor('the event on Kafka', async () => (await recordCount(kafka, topic)) === 1, 10_000, 10);
    expect(Date.now() - appended).toBeLessThan(3000);
  });

  it('keeps per-key order over hundreds of events in many batches, and counts what it published', async () => {
    const registry = new Registry();
    // An odd batch size so batches split keys at different points.
    startRelay({ batchSize: 37, pollIntervalMs: 100 }, registry);
    const keys = Array.from({ length: 8 }, (_, i) => `acc-${i}`);
    const perKey = 50;
    const events: OutboxEventInput[] = [];
    for (let n = 0; n < perKey; n += 1) {
      for (const key of keys) events.push(event({ key, data: { key, n } }));
    }
    // Appended while the relay runs, so it publishes from a growing backlog.
    const ids = await appendInTransactions(database.db, events, 10);

    await waitFor('the outbox to drain', async () => (await pendingCount(database.db)) === 0);
    const records = await readTopic(kafka, topic);
    expect(records).toHaveLength(events.length);
    expect(new Set(records.map((r) => r.headers.ce_id))).toEqual(new Set(ids));

    for (const key of keys) {
      const ofKey = records.filter((r) => r.key === key); // sorted by partition, then offset
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
      expect(ofKey.map((r) => (JSON.parse(r.value) as { n: number }).n)).toEqual(
        Array.from({ length: perKey }, (_, n) => n),
      );
    }

    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)?.values;
    expect(value('girok_outbox_published_total')).toEqual([
      expect.objectContaining({ value: events.length, labels: { topic } }),
    ]);
    expect(value('girok_outbox_pending_events')).toEqual([expect.objectContaining({ value: 0 })]);
  });
});
