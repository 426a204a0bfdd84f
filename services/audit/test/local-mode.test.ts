import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  DsrFulfilmentRequestedSchema,
  DsrOutcome,
  DsrPartCompletedSchema,
  DsrType,
} from '@girok/contracts/legal/v1/dsr';
import { type EventRecord, InProcessBus } from '@girok/kit/events';
import { uuidv7 } from '@girok/kit/ids';
import { domainEvents } from '@girok/kit/outbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAuditService } from '../src/audit-service.ts';
import {
  auditClient,
  auditEvent,
  auditId,
  bearer,
  counts,
  createTestBed,
  metricValue,
  type TestBed,
  until,
} from './support.ts';

/** A DSR fulfilment request as legal-service publishes it, on the bus. */
function dsrRequest(topic: string, requestId: string, accountId: string, type: DsrType): EventRecord {
  const input = domainEvents('legal-service', 'legal').event(
    topic,
    'dsr',
    'fulfilment_requested',
    accountId,
    DsrFulfilmentRequestedSchema,
    { requestId, accountId, type, participants: ['audit-service'] },
  );
  return {
    id: uuidv7(),
    topic,
    key: input.key,
    type: input.type,
    source: input.source,
    subject: input.subject ?? null,
    time: new Date(),
    data: input.data,
  };
}

describe('local mode: events from the in-process bus, no Kafka', () => {
  let bed: TestBed;
  let service: RunningAuditService;
  const bus = new InProcessBus();

  beforeAll(async () => {
    bed = await createTestBed();
    service = await bed.start({ KAFKA_BROKERS: '' }, { bus });
  });

  afterAll(async () => {
    await bed?.teardown();
  });

  const onBus = (topic: string, e: ReturnType<typeof auditEvent>): EventRecord => ({ ...e, topic });

  it('writes audit events published on the bus to ClickHouse, once each, without holding up the bus', async () => {
    const account = randomUUID();
    const events = Array.from({ length: 40 }, () => auditEvent({ actorId: account }));
    const started = performance.now();
    await bus.publish(events.map((e) => onBus(bed.eventsTopic, e)));
    await bus.publish(events.slice(0, 10).map((e) => onBus(bed.eventsTopic, e)));
    // The bus delivers one event at a time to every subscriber: waiting for each batch would take
    // a linger per event.
    expect(performance.now() - started).toBeLessThan(1000);
    await until('40 rows', async () => (await counts(bed.clickhouse, bed.database)).distinct === 40);
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: 40, distinct: 40, final: 40 });
    const client = auditClient(service);
    try {
      const page = await client.listLoginHistory(
        { accountId: account, page: { pageSize: 100 } },
        bearer(await bed.tokens.user(account)),
      );
      expect(new Set(page.events.map((e) => e.id))).toEqual(new Set(events.map(auditId)));
    } finally {
      client.close();
    }
  });

  it('answers a DSR on the bus', async () => {
    const answers: EventRecord[] = [];
    bus.subscribe([bed.dsrTopic], (event) => {
      if (event.type === 'girok.legal.v1.dsr.part_completed') answers.push(event);
    });
    const accountId = randomUUID();
    await bus.publish([dsrRequest(bed.dsrTopic, 'r-local', accountId, DsrType.ERASURE)]);
    const answer = await until('the answer', async () => answers[0]);
    expect(answer).toMatchObject({ key: accountId, source: 'audit-service' });
    expect(fromJson(DsrPartCompletedSchema, answer.data as JsonValue)).toMatchObject({
      requestId: 'r-local',
      outcome: DsrOutcome.RETAINED,
      service: 'audit-service',
    });
  });
});

describe('local mode without ClickHouse: the embedded store (PGlite on disk)', () => {
  let bed: TestBed;
  const bus = new InProcessBus();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-local-'));
  const local = { KAFKA_BROKERS: '', CLICKHOUSE_URL: '', AUDIT_LOCAL_DATABASE_URL: `pglite://${dataDir}` };

  beforeAll(async () => {
    bed = await createTestBed();
  });

  afterAll(async () => {
    await bed?.teardown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const onBus = (e: ReturnType<typeof auditEvent>): EventRecord => ({ ...e, topic: bed.eventsTopic });

  it('stores the events of the bus once each, answers queries and DSRs from them, and keeps them across a restart', async () => {
    const account = randomUUID();
    const events = Array.from({ length: 30 }, () => auditEvent({ actorId: account }));
    const first = await bed.start(local, { bus });
    await bus.publish(events.map(onBus));
    await bus.publish(events.slice(0, 10).map(onBus));
    const token = await bed.tokens.user(account);
    const loginHistory = async (service: RunningAuditService) => {
      const client = auditClient(service);
      try {
        return await client.listLoginHistory({ accountId: account, page: { pageSize: 100 } }, bearer(token));
      } finally {
        client.close();
      }
    };
    const page = await until('30 events in the local store', async () => {
      const p = await loginHistory(first);
      return p.events.length === 30 ? p : undefined;
    });
    expect(page.degraded).toBe(false);
    expect(new Set(page.events.map((e) => e.id))).toEqual(new Set(events.map(auditId)));
    // The breaker wraps the local store as it wraps ClickHouse; nothing was written there.
    expect(
      await metricValue(first.metricsUrl, 'girok_circuit_breaker_state', { name: 'audit-local-store' }),
    ).toBe(0);
    expect(
      await metricValue(first.metricsUrl, 'girok_audit_rows_written_total', { outcome: 'inserted' }),
    ).toBe(30);
    const databases = await bed.clickhouse.query({
      query: `SELECT name FROM system.databases WHERE name = '${bed.database}'`,
      format: 'JSONEachRow',
    });
    expect(await databases.json()).toEqual([]);

    const answers: EventRecord[] = [];
    bus.subscribe([bed.dsrTopic], (event) => {
      if (event.type === 'girok.legal.v1.dsr.part_completed') answers.push(event);
    });
    await bus.publish([dsrRequest(bed.dsrTopic, 'r-access', account, DsrType.ACCESS)]);
    const answer = fromJson(
      DsrPartCompletedSchema,
      (await until('the DSR answer', async () => answers[0])).data as JsonValue,
    );
    expect(answer.outcome).toBe(DsrOutcome.EXPORTED);
    expect(
      new Set(
        (JSON.parse(answer.exportJson) as { auditEvents: { id: string }[] }).auditEvents.map((e) => e.id),
      ),
    ).toEqual(new Set(events.map(auditId)));

    await first.close();
    const second = await bed.start(local, { bus: new InProcessBus() });
    const after = await loginHistory(second);
    expect(after.degraded).toBe(false);
    expect(after.events.map((e) => e.id)).toEqual(page.events.map((e) => e.id));
  });
});
