import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { infraEnv } from '@girok/e2e/infra';
import { createGrpcClient, type GrpcClient } from '@girok/kit/grpc';
import { uuidv7 } from '@girok/kit/ids';
import { createLogger } from '@girok/kit/logging';
import { type AuditInput, domainEvents } from '@girok/kit/outbox';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import { Metadata } from '@grpc/grpc-js';
import kafkajs, { type Kafka } from 'kafkajs';
import { type RunningAuditService, type StartOptions, startAuditService } from '../src/audit-service.ts';
import { type AuditConfig, loadConfig } from '../src/config.ts';
import { type OutgoingEvent, toKafkaMessage } from '../src/repositories/cloud-event.ts';

export const suffix = () => randomBytes(5).toString('hex');
export { sleep };

/**
 * Access tokens of the stand-in token authority (kit TestCallers) in the shape auth-service issues,
 * without starting identity and auth for every suite.
 */
export interface TestTokens {
  /** An admin's token carrying `scope` (admins' tokens list their permissions), MFA done. */
  admin(scope?: readonly string[], sub?: string): Promise<string>;
  /** An end user's token: no scope. */
  user(sub: string): Promise<string>;
}

export function testTokens(callers: TestCallers): TestTokens {
  return {
    admin: (scope = ['audit:read'], sub = randomUUID()) =>
      callers.userToken({ accountId: sub, scope, tokenType: 'ADMIN_ACCESS' }),
    user: (sub) => callers.userToken({ accountId: sub }),
  };
}

export const bearer = (token: string) => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return { metadata };
};

export interface TestBed {
  readonly database: string;
  readonly eventsTopic: string;
  readonly dsrTopic: string;
  readonly group: string;
  readonly kafka: Kafka;
  readonly clickhouse: ClickHouseClient;
  /** The token authority and workload issuer the service trusts. */
  readonly callers: TestCallers;
  readonly tokens: TestTokens;
  /** Every service started through `start`, in order (closed by `teardown`). */
  readonly services: RunningAuditService[];
  env(overrides?: Record<string, string>): Record<string, string>;
  config(overrides?: Record<string, string>): AuditConfig;
  start(overrides?: Record<string, string>, options?: StartOptions): Promise<RunningAuditService>;
  teardown(): Promise<void>;
}

/** Its own ClickHouse database, topics and consumer group, so suites never see each other's events. */
export async function createTestBed(partitions = 3): Promise<TestBed> {
  const id = suffix();
  const database = `audit_test_${id}`;
  const eventsTopic = `test.audit-${id}.event.v1`;
  const dsrTopic = `test.legal-${id}.dsr.v1`;
  const group = `audit-test-${id}`;
  const kafka = kafkaClient();
  await createTopics(kafka, [
    { topic: eventsTopic, numPartitions: partitions },
    { topic: dsrTopic, numPartitions: 1 },
  ]);
  const clickhouse = createClient({ url: infraEnv('CLICKHOUSE_URL'), request_timeout: 10_000 });
  const callers = await TestCallers.start();
  const tokens = testTokens(callers);
  const running: RunningAuditService[] = [];
  const env = (overrides: Record<string, string> = {}) => ({
    CLICKHOUSE_URL: infraEnv('CLICKHOUSE_URL'),
    CLICKHOUSE_DATABASE: database,
    KAFKA_BROKERS: infraEnv('KAFKA_BROKERS'),
    AUDIT_EVENTS_TOPIC: eventsTopic,
    DSR_TOPIC: dsrTopic,
    AUDIT_CONSUMER_GROUP: group,
    ...callers.env(),
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: process.env.AUDIT_TEST_LOG_LEVEL ?? 'silent',
    AUDIT_BATCH_LINGER_MS: '50',
    AUDIT_RETENTION_INTERVAL_MS: '0',
    AUDIT_CONSUMER_RETRY_MAX_MS: '1000',
    ...overrides,
  });
  const config = (overrides: Record<string, string> = {}) => loadConfig(env(overrides));
  return {
    database,
    eventsTopic,
    dsrTopic,
    group,
    kafka,
    clickhouse,
    callers,
    tokens,
    services: running,
    env,
    config,
    async start(overrides = {}, options = {}) {
      const c = config(overrides);
      const service = await startAuditService(c, {
        logger: createLogger({ service: 'audit-test', level: c.logLevel }),
        ...options,
      });
      running.push(service);
      return service;
    },
    async teardown() {
      await Promise.all(running.map((s) => s.close().catch(() => {})));
      await callers.close();
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => {});
      await clickhouse.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [eventsTopic, dsrTopic] })
        .catch(() => {})
        .finally(() => admin.disconnect());
    },
  };
}

export function kafkaClient(): Kafka {
  return new kafkajs.Kafka({
    clientId: `audit-test-${suffix()}`,
    brokers: infraEnv('KAFKA_BROKERS').split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

export async function createTopics(
  kafka: Kafka,
  topics: readonly { topic: string; numPartitions: number }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ ...t, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

const identityAudit = domainEvents('identity-service', 'identity').audit;
const authAudit = domainEvents('auth-service', 'auth').audit;

/**
 * An audit event exactly as a service's outbox stores it (kit `domainEvents().audit`), wrapped as
 * the relay would publish it (a CloudEvent id of its own, the time of the change).
 */
export function auditEvent(
  input: Partial<AuditInput> & { service?: 'identity' | 'auth' } = {},
): OutgoingEvent {
  const now = input.now ?? new Date();
  const build = input.service === 'auth' ? authAudit : identityAudit;
  const event = build({
    action: 'account.login',
    targetType: 'session',
    targetId: randomUUID(),
    result: 'SUCCESS',
    ...input,
    now,
  });
  return {
    id: uuidv7(),
    key: event.key,
    type: event.type,
    source: event.source,
    subject: event.subject ?? null,
    time: now,
    data: event.data,
  };
}

/** The AuditEvent id inside an event (the deduplication key). */
export const auditId = (event: OutgoingEvent) => (event.data as { id: string }).id;

export async function produce(kafka: Kafka, topic: string, events: readonly OutgoingEvent[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: events.slice(i, i + 500).map(toKafkaMessage) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Counts {
  /** Physical rows (no FINAL): duplicates would show here. */
  readonly rows: number;
  readonly distinct: number;
  /** Rows a FINAL read sees. */
  readonly final: number;
}

export async function counts(clickhouse: ClickHouseClient, database: string): Promise<Counts> {
  const result = await clickhouse.query({
    query: `SELECT (SELECT count() FROM ${database}.audit_events) AS rows,
                   (SELECT uniqExact(id) FROM ${database}.audit_events) AS distinct,
                   (SELECT count() FROM ${database}.audit_events FINAL) AS final`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rows: string; distinct: string; final: string }>();
  return { rows: Number(row?.rows), distinct: Number(row?.distinct), final: Number(row?.final) };
}

export async function storedIds(clickhouse: ClickHouseClient, database: string): Promise<string[]> {
  const result = await clickhouse.query({
    query: `SELECT id FROM ${database}.audit_events`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ id: string }>()).map((r) => r.id);
}

/** Polls until `check` returns a value other than undefined/false. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await sleep(100);
  }
}

export function auditClient(service: RunningAuditService): GrpcClient<typeof AuditService> {
  return createGrpcClient(AuditService, service.grpcAddress, {
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'audit-test', retry: { maxRetries: 0 } }),
  });
}

/** A metric's value for the given labels, from the service's /metrics text. */
export async function metricValue(
  metricsUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const MAIN = new URL('../dist/src/main.js', import.meta.url);

/** The compiled service in a process of its own (as in production), for tests that SIGKILL it. */
export async function spawnService(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; httpUrl: string }> {
  const logPath = path.join(os.tmpdir(), `audit-test-${suffix()}.log`);
  const fd = fs.openSync(logPath, 'w');
  const child = spawn(process.execPath, [fileURLToPath(MAIN)], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const started = await until(
    'the spawned audit-service to start',
    async () => {
      if (exited !== undefined) throw new Error(`audit-service exited with ${exited}; see ${logPath}`);
      const line = fs
        .readFileSync(logPath, 'utf8')
        .split('\n')
        .find((l) => l.includes('"audit-service started"'));
      return line === undefined ? undefined : (JSON.parse(line) as { http: number });
    },
    60_000,
  );
  return { child, httpUrl: `http://127.0.0.1:${started.http}` };
}
