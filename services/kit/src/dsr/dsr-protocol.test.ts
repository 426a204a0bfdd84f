import { toJson } from '@bufbuild/protobuf';
import { DsrOutcome, DsrPartCompletedSchema } from '@girok/contracts/legal/v1/dsr';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../events/in-process-bus.ts';
import { fromKafkaMessage } from '../outbox/cloud-event.ts';
import {
  DSR_FULFILMENT_REQUESTED,
  DSR_PART_COMPLETED,
  DSR_TOPIC,
  decideDsrEvent,
  erasureAnswer,
  exportAnswer,
  fulfilmentRequestedMessage,
  isEmptyExport,
  partCompletedEvent,
} from './dsr-protocol.ts';

const ACCOUNT = '0194f3c2-7a5e-7c3d-9b1a-2f4e6d8c0a11';

function requested(data: unknown, type = DSR_FULFILMENT_REQUESTED): EventRecord {
  return {
    id: '0194f3c2-0000-7000-8000-000000000001',
    topic: DSR_TOPIC,
    key: ACCOUNT,
    type,
    source: 'legal-service',
    subject: ACCOUNT,
    time: new Date(),
    data,
  };
}

const erasure = (over: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  accountId: ACCOUNT,
  type: 'DSR_TYPE_ERASURE',
  participants: ['identity-service', 'auth-service'],
  ...over,
});

describe('decideDsrEvent: which events off legal.dsr.v1 a participant answers', () => {
  it('answers a fulfilment request that lists the service, decoded from proto3 JSON', () => {
    expect(decideDsrEvent(requested(erasure()), 'auth-service')).toEqual({
      action: 'answer',
      request: { requestId: 'req-1', accountId: ACCOUNT, type: 'ERASURE' },
    });
    // Enum values as numbers are proto3 JSON too, and unknown fields (a newer legal-service) are fine.
    expect(
      decideDsrEvent(requested(erasure({ type: 1, deadline: '2027-01-01' })), 'identity-service'),
    ).toMatchObject({ action: 'answer', request: { type: 'ACCESS' } });
    expect(
      decideDsrEvent(requested(erasure({ type: 'DSR_TYPE_PORTABILITY' })), 'identity-service'),
    ).toMatchObject({ action: 'answer', request: { type: 'PORTABILITY' } });
  });

  it('ignores other event types, requests for other participants and types with no participant part', () => {
    for (const type of [DSR_PART_COMPLETED, 'girok.legal.v1.dsr.completed']) {
      expect(decideDsrEvent(requested(erasure(), type), 'identity-service').action).toBe('ignore');
    }
    expect(
      decideDsrEvent(requested(erasure({ participants: ['audit-service'] })), 'identity-service'),
    ).toEqual({ action: 'ignore', reason: 'participants audit-service' });
    expect(decideDsrEvent(requested(erasure({ participants: [] })), 'identity-service').action).toBe(
      'ignore',
    );
    for (const type of ['DSR_TYPE_RECTIFICATION', 'DSR_TYPE_RESTRICTION', 'DSR_TYPE_OBJECTION']) {
      expect(decideDsrEvent(requested(erasure({ type })), 'identity-service').action).toBe('ignore');
    }
  });

  it('rejects a request no retry could make answerable: undecodable data, no or unknown type, no request id, a non-UUID account', () => {
    const reject = (data: unknown) => decideDsrEvent(requested(data), 'identity-service');
    expect(reject(null).action).toBe('reject');
    expect(reject('text').action).toBe('reject');
    expect(reject(erasure({ type: 'DSR_TYPE_BOGUS' })).action).toBe('reject');
    expect(reject(erasure({ type: 'DSR_TYPE_UNSPECIFIED' })).action).toBe('reject');
    expect(reject(erasure({ participants: 'identity-service' })).action).toBe('reject');
    expect(reject(erasure({ requestId: '' }))).toEqual({ action: 'reject', reason: 'no request_id' });
    expect(reject(erasure({ accountId: 'acc-1' })).action).toBe('reject');
    expect(reject(erasure({ accountId: undefined })).action).toBe('reject');
  });
});

describe('the part_completed answer', () => {
  const request = { requestId: 'req-1', accountId: ACCOUNT, type: 'ACCESS' as const };

  it('an export is EXPORTED with export_json = JSON.stringify(export); an empty one is NOTHING_HELD', () => {
    const exported = exportAnswer('identity-service', request, {
      profile: { displayName: 'Kim' },
      sessions: [],
    });
    expect(toJson(DsrPartCompletedSchema, exported)).toEqual({
      requestId: 'req-1',
      accountId: ACCOUNT,
      type: 'DSR_TYPE_ACCESS',
      service: 'identity-service',
      outcome: 'DSR_OUTCOME_EXPORTED',
      exportJson: '{"profile":{"displayName":"Kim"},"sessions":[]}',
    });
    for (const nothing of [undefined, {}, { sessions: [], devices: [], profile: null, extra: {} }]) {
      const answer = exportAnswer('identity-service', request, nothing);
      expect(answer.outcome).toBe(DsrOutcome.NOTHING_HELD);
      expect(answer.exportJson).toBe('');
    }
  });

  it("an erasure carries the handler's outcome and note", () => {
    const answer = erasureAnswer(
      'auth-service',
      { ...request, type: 'ERASURE' },
      { outcome: 'RETAINED', note: 'sanctions kept' },
    );
    expect(toJson(DsrPartCompletedSchema, answer)).toEqual({
      requestId: 'req-1',
      accountId: ACCOUNT,
      type: 'DSR_TYPE_ERASURE',
      service: 'auth-service',
      outcome: 'DSR_OUTCOME_RETAINED',
      note: 'sanctions kept',
    });
  });

  it('is girok.legal.v1.dsr.part_completed on legal.dsr.v1, keyed by the account, from the service', () => {
    const answer = erasureAnswer('auth-service', { ...request, type: 'ERASURE' }, { outcome: 'ERASED' });
    expect(partCompletedEvent('auth-service', answer)).toEqual({
      topic: 'legal.dsr.v1',
      key: ACCOUNT,
      subject: ACCOUNT,
      type: 'girok.legal.v1.dsr.part_completed',
      source: 'auth-service',
      data: toJson(DsrPartCompletedSchema, answer),
    });
  });

  it('isEmptyExport looks one level deep', () => {
    expect(isEmptyExport({ a: [] })).toBe(true);
    expect(isEmptyExport({ a: [1] })).toBe(false);
    expect(isEmptyExport({ a: { b: [] } })).toBe(false);
    expect(isEmptyExport({ mfaEnrolled: false })).toBe(false);
  });
});

describe("legal-service's half: the fulfilment request on Kafka", () => {
  it('is the CloudEvent a participant decodes back to the request', () => {
    const input = {
      requestId: 'req-9',
      accountId: ACCOUNT,
      type: 'PORTABILITY' as const,
      participants: ['a', 'b'],
    };
    const message = fulfilmentRequestedMessage(input, { eventId: 'event-1' });
    const consumed = {
      key: Buffer.from(String(message.key)),
      value: Buffer.from(String(message.value)),
      headers: message.headers,
      timestamp: String(Date.now()),
      offset: '0',
      attributes: 0,
    } as KafkaMessage;
    const event = fromKafkaMessage(DSR_TOPIC, consumed);
    expect(event).toMatchObject({
      id: 'event-1',
      key: ACCOUNT,
      subject: ACCOUNT,
      type: DSR_FULFILMENT_REQUESTED,
      source: 'legal-service',
    });
    expect(decideDsrEvent(event, 'b')).toEqual({
      action: 'answer',
      request: { requestId: 'req-9', accountId: ACCOUNT, type: 'PORTABILITY' },
    });
  });
});
