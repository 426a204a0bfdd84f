import { randomUUID } from 'node:crypto';
import { infraEnv } from '@girok/e2e/infra';
import { createLogger } from '@girok/kit/logging';
import { appendEvents, type OutboxDatabase, OutboxRelay, outboxMigration } from '@girok/kit/outbox';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAuditService } from '../src/audit-service.ts';
import type { OutgoingEvent } from '../src/repositories/cloud-event.ts';
import {
  auditEvent,
  auditId,
  counts,
  createTestBed,
  createTopics,
  metricValue,
  produce,
  sleep,
  spawnService,
  storedIds,
  suffix,
  type TestBed,
  until,
} from './support.ts';

describe('audit events from Kafka into ClickHouse', () => {
  let bed: TestBed;

  /** Produces `events` in chunks with a pause between them: a live stream. */
  const stream = async (events: readonly OutgoingEvent[], chunk: number, pauseMs: number) => {
    for (let i = 0; i < events.length; i += chunk) {
      await produce(bed.kafka, bed.eventsTopic, events.slice(i, i + chunk));
      await sleep(pauseMs);
    }
  };

  beforeEach(async () => {
    bed = await createTestBed();
  });

  afterEach(async () => {
    await bed.teardown();
  });

  it('stores every event exactly once although many are delivered two or three times', async () => {
    await bed.start();
    const events = Array.from({ length: 300 }, (_, i) =>
      auditEvent({ actorId: `019a0000-0000-7000-8000-${String(i % 7).padStart(12, '0')}` }),
    );
    // Redeliveries on purpose: the same CloudEvents again, some of them twice more, interleaved.
    await produce(bed.kafka, bed.eventsTopic, events);
    await produce(
      bed.kafka,
      bed.eventsTopic,
      events.filter((_, i) => i % 2 === 0),
    );
    await produce(bed.kafka, bed.eventsTopic, [
      ...events.filter((_, i) => i % 3 === 0),
      ...events.slice(0, 10),
    ]);
    const delivered = 300 + 150 + 100 + 10;

    const service = bed.services[0] as RunningAuditService;
    await until('every delivery handled', async () => {
      const handled = await metricValue(service.metricsUrl, 'girok_consumer_events_total', {
        topic: bed.eventsTopic,
        result: 'handled',
      });
      return handled === delivered;
    });
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 300, distinct: 300, final: 300 });
    expect(new Set(await storedIds(bed.clickhouse, bed.database))).toEqual(new Set(events.map(auditId)));
    expect(
      await metricValue(service.metricsUrl, 'girok_audit_rows_written_total', { outcome: 'inserted' }),
    ).toBe(300);
    expect(
      await metricValue(service.metricsUrl, 'girok_audit_rows_written_total', { outcome: 'duplicate' }),
    ).toBe(delivered - 300);
    // Batched: far fewer inserts than events.
    const inserts = await metricValue(service.metricsUrl, 'girok_audit_batch_size_count');
    expect(inserts).toBeGreaterThan(0);
    expect(inserts).toBeLessThan(100);
  });

  it('a new consumer group replaying the whole topic (a crash before any commit) adds no row', async () => {
    const first = await bed.start();
    const events = Array.from({ length: 120 }, () => auditEvent());
    await produce(bed.kafka, bed.eventsTopic, events);
    await until('120 rows', async () => (await counts(bed.clickhouse, bed.database)).rows === 120);
    await first.close();

    const replay = await bed.start({ AUDIT_CONSUMER_GROUP: `${bed.group}-replay` });
    await until('the replay handled', async () => {
      const handled = await metricValue(replay.metricsUrl, 'girok_consumer_events_total', {
        topic: bed.eventsTopic,
        result: 'handled',
      });
      return handled === 120;
    });
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 120, distinct: 120, final: 120 });
    expect(
      await metricValue(replay.metricsUrl, 'girok_audit_rows_written_total', { outcome: 'duplicate' }),
    ).toBe(120);
  });

  it('restarting the service mid-stream loses nothing and duplicates nothing', async () => {
    await bed.start();
    const events = Array.from({ length: 600 }, () => auditEvent());
    const streaming = stream(events, 15, 50);
    await until('some rows stored', async () => (await counts(bed.clickhouse, bed.database)).rows > 100);
    await bed.services[0]?.close();
    expect((await counts(bed.clickhouse, bed.database)).rows).toBeLessThan(600);
    await bed.start();
    await streaming;
    await until(
      'all 600 rows',
      async () => (await counts(bed.clickhouse, bed.database)).distinct === 600,
      60_000,
    );
    await sleep(500);
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 600, distinct: 600, final: 600 });
  });

  it('a consumer SIGKILLed mid-stream: nothing lost, nothing stored twice', async () => {
    // A short session so the group reassigns the dead member's partitions quickly.
    const fastFailover = { AUDIT_CONSUMER_SESSION_TIMEOUT_MS: '6000' };
    const { child } = await spawnService(bed.env(fastFailover));
    const events = Array.from({ length: 800 }, () => auditEvent());
    const streaming = stream(events, 20, 40);
    try {
      await until('some rows stored', async () => (await counts(bed.clickhouse, bed.database)).rows > 150);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    await bed.start(fastFailover);
    await streaming;
    await until(
      'all 800 rows',
      async () => (await counts(bed.clickhouse, bed.database)).distinct === 800,
      60_000,
    );
    await sleep(500);
    // Whatever the killed process wrote after its last commit came again and was recognised as stored.
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 800, distinct: 800, final: 800 });
  });

  it('offsets lost after the rows were written (reset to the start): everything comes again, nothing is stored twice', async () => {
    const first = await bed.start();
    const events = Array.from({ length: 150 }, () => auditEvent());
    await produce(bed.kafka, bed.eventsTopic, events);
    await until('150 rows', async () => (await counts(bed.clickhouse, bed.database)).rows === 150);
    await first.close();
    const admin = bed.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: bed.group, topic: bed.eventsTopic, earliest: true });
    await admin.disconnect();
    const again = await bed.start();
    await until('the redelivery handled', async () => {
      const handled = await metricValue(again.metricsUrl, 'girok_consumer_events_total', {
        topic: bed.eventsTopic,
        result: 'handled',
      });
      return handled === 150;
    });
    expect(
      await metricValue(again.metricsUrl, 'girok_audit_rows_written_total', { outcome: 'duplicate' }),
    ).toBe(150);
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 150, distinct: 150, final: 150 });
  });

  it('moves a record that is no audit event to the dead-letter topic and goes on', async () => {
    const dlq = `${bed.eventsTopic}.dlq.${bed.group}`;
    await createTopics(bed.kafka, [{ topic: dlq, numPartitions: 1 }]);
    const service = await bed.start();
    const good = [auditEvent(), auditEvent()];
    const poison = { ...auditEvent(), data: { hello: 'not an audit event' } };
    await produce(
      bed.kafka,
      bed.eventsTopic,
      [good[0], poison, good[1]].map((e) => ({ ...e, key: 'same-key' })) as never,
    );
    await until('2 rows', async () => (await counts(bed.clickhouse, bed.database)).rows === 2);
    await until(
      'one dead-lettered',
      async () =>
        (await metricValue(service.metricsUrl, 'girok_consumer_events_total', {
          topic: bed.eventsTopic,
          result: 'dead_lettered',
        })) === 1,
    );
    const admin = bed.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(dlq);
    await admin.disconnect();
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
  });

  it("reads what the kit's outbox relay publishes (the services' real path)", async () => {
    await bed.start();
    const databaseName = `audit_relay_${suffix()}`;
    const server = infraEnv('DATABASE_URL');
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    const url = new URL(server);
    url.pathname = `/${databaseName}`;
    const db = new Kysely<OutboxDatabase>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 3 }) }),
    });
    let relay: OutboxRelay | undefined;
    try {
      await outboxMigration.up(db);
      relay = new OutboxRelay({
        db,
        session: url.toString(),
        kafka: bed.kafka,
        logger: createLogger({ service: 'audit-test-relay', level: 'silent' }),
      });
      relay.start();
      const account = randomUUID();
      const inputs = Array.from({ length: 25 }, (_, i) =>
        auditEvent({ actorId: account, metadata: { n: String(i) } }),
      );
      await db.transaction().execute((tx) =>
        appendEvents(
          tx,
          inputs.map((e) => ({
            topic: bed.eventsTopic,
            key: e.key,
            type: e.type,
            source: e.source,
            subject: e.subject ?? '',
            data: e.data,
          })),
        ),
      );
      await until('25 rows', async () => (await counts(bed.clickhouse, bed.database)).rows === 25);
      expect(new Set(await storedIds(bed.clickhouse, bed.database))).toEqual(new Set(inputs.map(auditId)));
    } finally {
      await relay?.stop();
      await db.destroy();
      // Not FORCE: terminating a pool connection that is still closing raises an unhandled error.
      await until('the relay database dropped', async () =>
        admin.query(`DROP DATABASE IF EXISTS ${databaseName}`).then(() => true),
      );
      await admin.end();
    }
  });
});
