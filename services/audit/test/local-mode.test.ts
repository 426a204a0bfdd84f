import { randomUUID } from 'node:crypto';
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
  type TestBed,
  until,
} from './support.ts';

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
    const input = domainEvents('legal-service', 'legal').event(
      bed.dsrTopic,
      'dsr',
      'fulfilment_requested',
      accountId,
      DsrFulfilmentRequestedSchema,
      { requestId: 'r-local', accountId, type: DsrType.ERASURE, participants: ['audit-service'] },
    );
    await bus.publish([
      {
        id: uuidv7(),
        topic: bed.dsrTopic,
        key: input.key,
        type: input.type,
        source: input.source,
        subject: input.subject ?? null,
        time: new Date(),
        data: input.data,
      },
    ]);
    const answer = await until('the answer', async () => answers[0]);
    expect(answer).toMatchObject({ key: accountId, source: 'audit-service' });
    expect(fromJson(DsrPartCompletedSchema, answer.data as JsonValue)).toMatchObject({
      requestId: 'r-local',
      outcome: DsrOutcome.RETAINED,
      service: 'audit-service',
    });
  });
});
