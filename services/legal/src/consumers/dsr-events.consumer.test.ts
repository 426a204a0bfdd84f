import { create, toJson } from '@bufbuild/protobuf';
import {
  type DsrFulfilmentRequested,
  DsrOutcome,
  type DsrPartCompleted,
  DsrPartCompletedSchema,
  DsrType,
} from '@girok/contracts/legal/v1/dsr';
import type { EventRecord } from '@girok/kit/events';
import { createLogger } from '@girok/kit/logging';
import { describe, expect, it } from 'vitest';
import type { DsrFulfilmentService } from '../services/dsr-fulfilment.service.ts';
import { DsrEventsConsumer } from './dsr-events.consumer.ts';

const record = (type: string, data: unknown): EventRecord => ({
  id: 'e1',
  topic: 'legal.dsr.v1',
  key: 'account',
  type,
  source: 'identity-service',
  subject: 'account',
  time: new Date(),
  data,
});

function consumer() {
  const requested: DsrFulfilmentRequested[] = [];
  const parts: DsrPartCompleted[] = [];
  const fulfilment = {
    onRequested: async (message: DsrFulfilmentRequested) => {
      requested.push(message);
    },
    onPartCompleted: async (message: DsrPartCompleted) => {
      parts.push(message);
    },
  } as unknown as DsrFulfilmentService;
  return {
    handler: new DsrEventsConsumer(fulfilment, createLogger({ service: 't', level: 'silent' })),
    requested,
    parts,
  };
}

describe('the legal.dsr.v1 consumer', () => {
  it('hands the protocol’s events to the fulfilment, decoded (unknown fields ignored)', async () => {
    const { handler, requested, parts } = consumer();
    await handler.handle(
      record('girok.legal.v1.dsr.fulfilment_requested', {
        requestId: 'r',
        accountId: 'a',
        type: 'DSR_TYPE_ERASURE',
        participants: ['legal-service'],
        addedLater: true,
      }),
    );
    const part = create(DsrPartCompletedSchema, {
      requestId: 'r',
      accountId: 'a',
      type: DsrType.ERASURE,
      service: 'identity-service',
      outcome: DsrOutcome.ERASED,
    });
    await handler.handle(record('girok.legal.v1.dsr.part_completed', toJson(DsrPartCompletedSchema, part)));
    expect(requested.map((m) => [m.requestId, m.type, m.participants])).toEqual([
      ['r', DsrType.ERASURE, ['legal-service']],
    ]);
    expect(parts.map((m) => [m.service, m.outcome])).toEqual([['identity-service', DsrOutcome.ERASED]]);
  });

  it('skips undecodable payloads and the topic’s other events instead of retrying them for ever', async () => {
    const { handler, requested, parts } = consumer();
    await handler.handle(record('girok.legal.v1.dsr.part_completed', { requestId: 42 }));
    await handler.handle(record('girok.legal.v1.dsr.fulfilment_requested', 'not an object'));
    await handler.handle(record('girok.legal.v1.dsr.escalated', { dsr: {} }));
    await handler.handle(record('girok.legal.v1.dsr.completed', { requestId: 'r' }));
    expect(requested).toEqual([]);
    expect(parts).toEqual([]);
  });
});
