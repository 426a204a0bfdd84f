import type { Kafka } from 'kafkajs';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type OutboxEventInput, OutboxRelay } from '../src/outbox/index.ts';
import {
  appendInTransactions,
  createTestbed,
  pendingCount,
  readTopic,
  silentLogger,
  sleep,
  type Testbed,
  type TestDatabase,
  waitFor,
} from './fixtures/outbox-test-env.ts';

describe('two relays on one database', () => {
  const env = inject('infraEnv');
  let kafka: Kafka;
  let database: TestDatabase;
  let topic: string;
  const relays: OutboxRelay[] = [];

  let bed: Testbed;
  beforeEach(async () => {
    bed = await createTestbed(env);
    ({ kafka, database, topic } = bed);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await bed.teardown();
  });

  function relayWith(registry: Registry): OutboxRelay {
    const relay = new OutboxRelay({
      db: database.db,
      session: database.url,
      kafka,
      logger: silentLogger(),
      registry,
      options: { pollIntervalMs: 100, takeoverIntervalMs: 100 },
    });
    relays.push(relay);
    return relay;
  }

  async function published(registry: Registry): Promise<number> {
    const metric = await registry.getSingleMetric('girok_outbox_published_total')?.get();
    return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
  }

  /** Sessions of this database holding the relay lock, as PostgreSQL sees them. */
  async function lockHolders(): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = ${database.name}`.execute(database.db);
    return Number(rows[0]?.n);
  }

  const events = (count: number, round: string): OutboxEventInput[] =>
    Array.from({ length: count }, (_, n) => ({
      topic,
      key: `acc-${n % 7}`,
      type: 'dev.girok.identity.account.updated.v1',
      source: '/girok/identity-service',
      data: { round, n },
    }));

  it('lets only the lock holder publish, and hands over when it stops', async () => {
    const registryA = new Registry();
    const registryB = new Registry();
    const a = relayWith(registryA);
    const b = relayWith(registryB);

    // Watch both for the whole test: at no moment may both consider themselves the publisher.
    let bothLed = 0;
    const watch = setInterval(() => {
      if (a.isLeader && b.isLeader) bothLed += 1;
    }, 5);
    try {
      a.start();
      await waitFor('a to lead', async () => a.isLeader);
      b.start();
      await sleep(500); // b has asked for the lock several times by now
      expect(b.isLeader).toBe(false);
      expect(await lockHolders()).toBe(1);

      const first = await appendInTransactions(database.db, events(150, 'first'), 10);
      await waitFor('the first round to drain', async () => (await pendingCount(database.db)) === 0);
      expect(await published(registryA)).toBe(150);
      expect(await published(registryB)).toBe(0);

      await a.stop();
      await waitFor('b to take over', async () => b.isLeader, 10_000);
      expect(await lockHolders()).toBe(1);

      const second = await appendInTransactions(database.db, events(150, 'second'), 10);
      await waitFor('the second round to drain', async () => (await pendingCount(database.db)) === 0);
      expect(await published(registryA)).toBe(150);
      expect(await published(registryB)).toBe(150);

      const records = await readTopic(kafka, topic);
      expect(records).toHaveLength(300);
      expect(new Set(records.map((r) => r.headers.ce_id))).toEqual(new Set([...first, ...second]));
    } finally {
      clearInterval(watch);
    }
    expect(bothLed).toBe(0);
  }, 60_000);
});
