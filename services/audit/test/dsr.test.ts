import { randomUUID } from 'node:crypto';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  DsrFulfilmentRequestedSchema,
  DsrOutcome,
  type DsrPartCompleted,
  DsrPartCompletedSchema,
  DsrType,
} from '@girok/contracts/legal/v1/dsr';
import { type EventRecord, KafkaEventConsumer } from '@girok/kit/events';
import { uuidv7 } from '@girok/kit/ids';
import { createLogger } from '@girok/kit/logging';
import { domainEvents } from '@girok/kit/outbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingEvent } from '../src/repositories/cloud-event.ts';
import {
  auditEvent,
  auditId,
  counts,
  createTestBed,
  produce,
  suffix,
  type TestBed,
  until,
} from './support.ts';

const legal = domainEvents('legal-service', 'legal');

/** A fulfilment request exactly as legal-service's outbox writes it. */
function fulfilmentRequested(
  topic: string,
  accountId: string,
  type: DsrType,
  participants = ['identity-service', 'audit-service'],
): { requestId: string; event: OutgoingEvent } {
  const requestId = randomUUID();
  const input = legal.event(topic, 'dsr', 'fulfilment_requested', accountId, DsrFulfilmentRequestedSchema, {
    requestId,
    accountId,
    type,
    participants,
  });
  return {
    requestId,
    event: {
      id: uuidv7(),
      key: input.key,
      type: input.type,
      source: input.source,
      subject: input.subject ?? null,
      time: new Date(),
      data: input.data,
    },
  };
}

describe('the DSR protocol: audit-service answers on legal.dsr.v1', () => {
  let bed: TestBed;
  let reader: KafkaEventConsumer;
  const answers: EventRecord[] = [];
  const account = randomUUID();
  const trail = [
    auditEvent({
      action: 'account.create',
      actorId: account,
      targetType: 'account',
      targetId: account,
      now: new Date('2026-01-01T00:00:00Z'),
    }),
    auditEvent({ action: 'account.login', actorId: account, now: new Date('2026-01-02T00:00:00Z') }),
    auditEvent({
      service: 'auth',
      action: 'role.assign',
      actorId: randomUUID(),
      targetType: 'account',
      targetId: account,
      now: new Date('2026-01-03T00:00:00Z'),
    }),
  ];

  const answerTo = (requestId: string) =>
    until(`the answer to ${requestId}`, async () => {
      const record = answers.find((a) => (a.data as { requestId?: string }).requestId === requestId);
      return record === undefined
        ? undefined
        : { record, part: fromJson(DsrPartCompletedSchema, record.data as JsonValue) };
    });

  beforeAll(async () => {
    bed = await createTestBed();
    await bed.start();
    await produce(bed.kafka, bed.eventsTopic, [
      ...trail,
      auditEvent({ action: 'account.login', actorId: randomUUID() }),
    ]);
    await until('the trail stored', async () => (await counts(bed.clickhouse, bed.database)).rows === 4);
    // legal-service's side: the kit's consumer must read what audit-service publishes.
    reader = new KafkaEventConsumer({
      kafka: bed.kafka,
      groupId: `legal-test-${suffix()}`,
      topics: [bed.dsrTopic],
      logger: createLogger({ service: 'legal-test', level: 'silent' }),
      fromBeginning: true,
      heartbeatIntervalMs: 500,
      sessionTimeoutMs: 6000,
    });
    await reader.start((event) => {
      if (event.type === 'girok.legal.v1.dsr.part_completed') answers.push(event);
    });
  });

  afterAll(async () => {
    await reader?.stop();
    await bed?.teardown();
  });

  it('answers an access request with the account trail as JSON (EXPORTED), as a CloudEvent from audit-service', async () => {
    const { requestId, event } = fulfilmentRequested(bed.dsrTopic, account, DsrType.ACCESS);
    await produce(bed.kafka, bed.dsrTopic, [event]);
    const { record, part } = await answerTo(requestId);
    expect(record).toMatchObject({
      key: account,
      subject: account,
      source: 'audit-service',
      topic: bed.dsrTopic,
    });
    expect(part).toMatchObject({
      requestId,
      accountId: account,
      type: DsrType.ACCESS,
      service: 'audit-service',
      outcome: DsrOutcome.EXPORTED,
    } satisfies Partial<DsrPartCompleted>);
    const exported = JSON.parse(part.exportJson) as {
      service: string;
      accountId: string;
      complete: boolean;
      auditEvents: { id: string; action: string; occurredAt: string }[];
    };
    expect(exported).toMatchObject({ service: 'audit-service', accountId: account, complete: true });
    // Oldest first; what the account did and what was done to it; nobody else's events.
    expect(exported.auditEvents.map((e) => e.id)).toEqual(trail.map(auditId));
    expect(exported.auditEvents.map((e) => e.action)).toEqual([
      'account.create',
      'account.login',
      'role.assign',
    ]);
    expect(exported.auditEvents[0]?.occurredAt).toBe('2026-01-01T00:00:00Z');
  });

  it('answers portability the same way, and an account with no events with NOTHING_HELD', async () => {
    const portability = fulfilmentRequested(bed.dsrTopic, account, DsrType.PORTABILITY);
    const stranger = fulfilmentRequested(bed.dsrTopic, randomUUID(), DsrType.ACCESS);
    await produce(bed.kafka, bed.dsrTopic, [portability.event, stranger.event]);
    expect((await answerTo(portability.requestId)).part.outcome).toBe(DsrOutcome.EXPORTED);
    const nothing = (await answerTo(stranger.requestId)).part;
    expect(nothing.outcome).toBe(DsrOutcome.NOTHING_HELD);
    expect(nothing.exportJson).toBe('');
  });

  it('answers erasure with RETAINED and the legal basis', async () => {
    const { requestId, event } = fulfilmentRequested(bed.dsrTopic, account, DsrType.ERASURE);
    await produce(bed.kafka, bed.dsrTopic, [event]);
    const { part } = await answerTo(requestId);
    expect(part.outcome).toBe(DsrOutcome.RETAINED);
    expect(part.type).toBe(DsrType.ERASURE);
    expect(part.note).toContain('Art. 17(3)(b) and (e)');
    expect(part.note).toContain('60 months');
    expect(part.exportJson).toBe('');
    // The trail itself is untouched.
    expect((await counts(bed.clickhouse, bed.database)).rows).toBe(4);
  });

  it('does not answer requests it is not a participant of, types without a participant part, nor other DSR events', async () => {
    const notUs = fulfilmentRequested(bed.dsrTopic, account, DsrType.ACCESS, ['identity-service']);
    const rectification = fulfilmentRequested(bed.dsrTopic, account, DsrType.RECTIFICATION);
    const badAccount = fulfilmentRequested(bed.dsrTopic, 'not-a-uuid', DsrType.ACCESS);
    const marker = fulfilmentRequested(bed.dsrTopic, account, DsrType.ERASURE);
    const filed = legal.event(bed.dsrTopic, 'dsr', 'filed', account, DsrFulfilmentRequestedSchema, {
      requestId: 'x',
    });
    await produce(bed.kafka, bed.dsrTopic, [
      notUs.event,
      rectification.event,
      { ...badAccount.event, key: account },
      { ...notUs.event, id: uuidv7(), type: filed.type, data: filed.data },
      marker.event,
    ]);
    // In order on the one partition: once the marker is answered, the others were handled.
    await answerTo(marker.requestId);
    expect(answers.filter((a) => (a.data as { requestId?: string }).requestId === notUs.requestId)).toEqual(
      [],
    );
    for (const requestId of ['x', rectification.requestId, badAccount.requestId]) {
      expect(answers.filter((a) => (a.data as { requestId?: string }).requestId === requestId)).toEqual([]);
    }
  });
});
