// npm run bench -- events
// Two paths of the platform's events, each next to the raw limit of the same servers in this run:
//  - audit: rows per second that audit-service (its compiled build, in a process of its own, as in
//    production) takes from Kafka into ClickHouse, until every row is visible, against the raw
//    @clickhouse/client JSONEachRow insert rate of the same rows in batches of the service's size
//    (audit_ratio);
//  - relay: events per second from the kit's outbox (appended in PostgreSQL transactions) through
//    the OutboxRelay and Kafka to a KafkaEventConsumer, against the raw kafkajs produce rate of the
//    same messages (relay_ratio), and the append→handled latency at a steady offered load
//    (e2e_p50_ms, e2e_p99_ms).
// Raw and service phases alternate round by round, so both see the same machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { ClientInfoSchema } from '@girok/contracts/common/v1/common';
import type { BenchSuite } from '@girok/e2e/bench';
import { KafkaEventConsumer } from '@girok/kit/events';
import { uuidv7 } from '@girok/kit/ids';
import { createLogger } from '@girok/kit/logging';
import {
  appendEvents,
  domainEvents,
  type OutboxDatabase,
  OutboxRelay,
  outboxMigration,
} from '@girok/kit/outbox';
import { TestCallers } from '@girok/kit/testing';
import kafkajs, { type Kafka, type Message } from 'kafkajs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type AuditRow, auditRowOf } from '../src/dtos/audit.dto.ts';
import { AuditEventRepository } from '../src/repositories/audit-event.repository.ts';
import { type OutgoingEvent, toKafkaMessage } from '../src/repositories/cloud-event.ts';

type Progress = (message: string) => void;

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROUNDS = 3;
/** Audit events per round; the service writes them in batches of its default 500. */
const AUDIT_EVENTS = 20_000;
const BATCH = 500;
/** Outbox events per round: 8 writers appending transactions of 25 events. */
const RELAY_EVENTS = 10_000;
const RELAY_WRITERS = 8;
const RELAY_TX_EVENTS = 25;
/** The steady load of the latency phase: 5-event transactions, 100 a second, for 10 s. */
const LATENCY_TX_PER_S = 100;
const LATENCY_TX_EVENTS = 5;
const LATENCY_SECONDS = 10;

const audit = domainEvents('identity-service', 'identity').audit;

/** A login audit event as identity-service's outbox stores it, as the relay publishes it. */
function loginEvent(i: number): OutgoingEvent {
  const now = new Date(Date.UTC(2026, 9, 1) + i * 37);
  const input = audit({
    action: 'account.login',
    actorId: randomUUID(),
    targetType: 'session',
    targetId: randomUUID(),
    result: 'SUCCESS',
    client: create(ClientInfoSchema, {
      ipAddress: '198.51.100.10',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    }),
    metadata: { method: 'password' },
    now,
  });
  return {
    id: uuidv7(),
    key: input.key,
    type: input.type,
    source: input.source,
    subject: input.subject ?? null,
    time: now,
    data: input.data,
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

async function createTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

async function startAuditService(env: Record<string, string>, progress: Progress) {
  const logPath = path.join(os.tmpdir(), `audit-bench-${process.pid}.log`);
  const fd = fs.openSync(logPath, 'w');
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', HTTP_PORT: '0', GRPC_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', fd, 'inherit'],
  });
  fs.closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (;;) {
    if (exited !== undefined) {
      throw new Error(
        `audit-service exited with ${exited} before it started (built? npm run build); see ${logPath}`,
      );
    }
    const line = fs
      .readFileSync(logPath, 'utf8')
      .split('\n')
      .find((l) => l.includes('"audit-service started"'));
    if (line !== undefined) {
      const { metrics } = JSON.parse(line) as { metrics: number };
      progress(`audit-service running (log ${logPath})`);
      return { process: child, metricsUrl: `http://127.0.0.1:${metrics}/metrics` };
    }
    await sleep(100);
  }
}

async function rowCount(clickhouse: ClickHouseClient, table: string): Promise<number> {
  const result = await clickhouse.query({
    query: `SELECT count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

async function produceAll(kafka: Kafka, topic: string, messages: readonly Message[], idempotent: boolean) {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent,
    maxInFlightRequests: idempotent ? 1 : 5,
  });
  await producer.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < messages.length; i += BATCH) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + BATCH) });
    }
    return messages.length / ((performance.now() - started) / 1000);
  } finally {
    await producer.disconnect();
  }
}

/** audit-service's rows/s from Kafka into ClickHouse against raw JSONEachRow inserts of the same rows. */
async function measureAudit(env: Record<string, string>, kafka: Kafka, tag: string, progress: Progress) {
  const clickhouse = createClient({ url: env.CLICKHOUSE_URL ?? '', request_timeout: 60_000 });
  const serviceDb = `audit_bench_${tag}`;
  const rawDb = `audit_bench_raw_${tag}`;
  const topic = `bench.audit-${tag}.event.v1`;
  const dsrTopic = `bench.dsr-${tag}.v1`;
  await createTopics(kafka, [topic], 6);
  await createTopics(kafka, [dsrTopic], 1);
  await new AuditEventRepository(clickhouse, rawDb).ensureSchema();
  // Nothing calls the service's API here; it only needs an issuer to trust to start.
  const callers = await TestCallers.start();
  const child = await startAuditService(
    {
      ...callers.env(),
      CLICKHOUSE_URL: env.CLICKHOUSE_URL ?? '',
      CLICKHOUSE_DATABASE: serviceDb,
      KAFKA_BROKERS: env.KAFKA_BROKERS ?? '',
      AUDIT_EVENTS_TOPIC: topic,
      DSR_TOPIC: dsrTopic,
      AUDIT_CONSUMER_GROUP: `audit-bench-${tag}`,
      AUDIT_RETENTION_INTERVAL_MS: '0',
    },
    progress,
  );
  let rawSum = 0;
  let serviceSum = 0;
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const events = Array.from({ length: AUDIT_EVENTS }, (_, i) => loginEvent(round * AUDIT_EVENTS + i));
      const rows: AuditRow[] = events.map((e) => auditRowOf({ ...e, topic }, new Date()));
      progress(
        `round ${round}/${ROUNDS}: raw JSONEachRow insert of ${AUDIT_EVENTS} rows in batches of ${BATCH}`,
      );
      let started = performance.now();
      for (let i = 0; i < rows.length; i += BATCH) {
        await clickhouse.insert({
          table: `${rawDb}.audit_events`,
          values: rows.slice(i, i + BATCH),
          format: 'JSONEachRow',
        });
      }
      const raw = AUDIT_EVENTS / ((performance.now() - started) / 1000);
      rawSum += raw;

      progress(
        `round ${round}/${ROUNDS}: ${AUDIT_EVENTS} events to Kafka, through audit-service, until visible`,
      );
      const target = round * AUDIT_EVENTS;
      const messages = events.map(toKafkaMessage);
      started = performance.now();
      await produceAll(kafka, topic, messages, false);
      while ((await rowCount(clickhouse, `${serviceDb}.audit_events`)) < target) await sleep(25);
      const service = AUDIT_EVENTS / ((performance.now() - started) / 1000);
      serviceSum += service;
      progress(`  raw ${raw.toFixed(0)} rows/s, audit-service ${service.toFixed(0)} rows/s`);
    }
    const metrics = await (await fetch(child.metricsUrl)).text();
    const metric = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    const inserts = metric('girok_audit_batch_size_count');
    progress(
      `  audit-service wrote ${metric('girok_audit_batch_size_sum')} rows in ${inserts} inserts (${(metric('girok_audit_batch_size_sum') / inserts).toFixed(0)} per insert)`,
    );
    const stored = await rowCount(clickhouse, `${serviceDb}.audit_events`);
    if (stored !== ROUNDS * AUDIT_EVENTS)
      throw new Error(`expected ${ROUNDS * AUDIT_EVENTS} rows, found ${stored}`);
    return { raw: rawSum / ROUNDS, service: serviceSum / ROUNDS };
  } finally {
    child.process.kill('SIGTERM');
    await new Promise((resolve) => child.process.once('exit', resolve));
    await callers.close();
    for (const db of [serviceDb, rawDb])
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
    await clickhouse.close();
    await deleteTopics(kafka, [topic, dsrTopic]);
  }
}

/** Outbox → relay → Kafka → consumer: events/s against raw produce, and latency at a steady load. */
async function measureRelay(env: Record<string, string>, kafka: Kafka, tag: string, progress: Progress) {
  const name = `audit_bench_outbox_${tag}`;
  const admin = new pg.Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(env.DATABASE_URL ?? '');
  url.pathname = `/${name}`;
  const db = new Kysely<OutboxDatabase>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: url.toString(), max: RELAY_WRITERS + 2 }),
    }),
  });
  const topic = `bench.relay-${tag}.v1`;
  const rawTopic = `bench.relay-raw-${tag}.v1`;
  await createTopics(kafka, [topic, rawTopic], 6);
  const logger = createLogger({ service: 'events-bench', level: 'warn' });
  await outboxMigration.up(db);
  const relay = new OutboxRelay({ db, session: url.toString(), kafka, logger });
  const consumer = new KafkaEventConsumer({
    kafka,
    groupId: `relay-bench-${tag}`,
    topics: [topic],
    logger,
    fromBeginning: true,
    maxWaitTimeInMs: 100,
  });
  let handled = 0;
  let lastHandledAt = 0;
  let latencies: number[] = [];
  const clock = () => performance.timeOrigin + performance.now();
  await consumer.start((event) => {
    const appendedAt = (event.data as { appendedAt?: number }).appendedAt ?? 0;
    const now = clock();
    latencies.push(now - appendedAt);
    handled += 1;
    lastHandledAt = now;
  });
  relay.start();
  const append = async (count: number) => {
    const data = loginEvent(0).data as Record<string, unknown>;
    const appendedAt = clock();
    await db.transaction().execute((tx) =>
      appendEvents(
        tx,
        Array.from({ length: count }, () => ({
          topic,
          key: randomUUID(),
          type: 'girok.audit.v1.event',
          source: 'identity-service',
          data: { ...data, appendedAt },
        })),
      ),
    );
  };
  const waitHandled = async (target: number) => {
    const deadline = Date.now() + 120_000;
    while (handled < target) {
      if (Date.now() > deadline) throw new Error(`only ${handled} of ${target} events handled`);
      await sleep(10);
    }
  };
  let rawSum = 0;
  let relaySum = 0;
  try {
    // Equal messages: the same CloudEvent binding, key and data size as the relay sends.
    const sample = { ...(loginEvent(0).data as object), appendedAt: clock() };
    const rawMessages = Array.from({ length: RELAY_EVENTS }, () =>
      toKafkaMessage({ ...loginEvent(0), id: uuidv7(), key: randomUUID(), data: sample }),
    );
    for (let round = 1; round <= ROUNDS; round += 1) {
      progress(
        `round ${round}/${ROUNDS}: raw kafkajs produce of ${RELAY_EVENTS} equal messages (idempotent, acks=all, batches of ${BATCH})`,
      );
      const raw = await produceAll(kafka, rawTopic, rawMessages, true);
      rawSum += raw;

      progress(
        `round ${round}/${ROUNDS}: ${RELAY_EVENTS} events appended by ${RELAY_WRITERS} writers, ${RELAY_TX_EVENTS} per transaction, until handled`,
      );
      const target = handled + RELAY_EVENTS;
      let left = RELAY_EVENTS / RELAY_TX_EVENTS;
      const started = clock();
      await Promise.all(
        Array.from({ length: RELAY_WRITERS }, async () => {
          while (left > 0) {
            left -= 1;
            await append(RELAY_TX_EVENTS);
          }
        }),
      );
      await waitHandled(target);
      const rate = RELAY_EVENTS / ((lastHandledAt - started) / 1000);
      relaySum += rate;
      progress(`  raw produce ${raw.toFixed(0)}/s, outbox → consumer ${rate.toFixed(0)}/s`);
    }

    progress(
      `latency: ${LATENCY_TX_PER_S} transactions/s of ${LATENCY_TX_EVENTS} events for ${LATENCY_SECONDS} s`,
    );
    latencies = [];
    const target = handled + LATENCY_TX_PER_S * LATENCY_TX_EVENTS * LATENCY_SECONDS;
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < LATENCY_TX_PER_S * LATENCY_SECONDS; i += 1) {
      const due = start + (i * 1000) / LATENCY_TX_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(append(LATENCY_TX_EVENTS));
    }
    await Promise.all(pending);
    await waitHandled(target);
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    progress(
      `  append→handled p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${sorted.length} events`,
    );
    return { raw: rawSum / ROUNDS, relay: relaySum / ROUNDS, p50, p99 };
  } finally {
    await relay.stop();
    await consumer.stop();
    await db.destroy();
    await dropDatabase(admin, name);
    await admin.end();
    await deleteTopics(kafka, [topic, rawTopic]);
  }
}

/**
 * Waits for the pool's and the relay's connections to go (terminating them with FORCE would raise
 * an error on a client that is still closing), forcing only as a last resort.
 */
async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch {
      await sleep(100);
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics })
    .catch(() => {})
    .finally(() => admin.disconnect());
}

export const suite: BenchSuite = {
  needs: ['clickhouse', 'kafka', 'postgres'],
  async run(env, progress) {
    const tag = randomUUID().replaceAll('-', '').slice(0, 10);
    const kafka = new kafkajs.Kafka({
      clientId: `events-bench-${tag}`,
      brokers: (env.KAFKA_BROKERS ?? '').split(','),
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const auditFigures = await measureAudit(env, kafka, tag, progress);
    const relayFigures = await measureRelay(env, kafka, tag, progress);
    return {
      audit_ratio: auditFigures.service / auditFigures.raw,
      relay_ratio: relayFigures.relay / relayFigures.raw,
      e2e_p99_ms: relayFigures.p99,
      e2e_p50_ms: relayFigures.p50,
      audit_rows_per_s: auditFigures.service,
      raw_insert_rows_per_s: auditFigures.raw,
      relay_events_per_s: relayFigures.relay,
      raw_produce_per_s: relayFigures.raw,
    };
  },
};
