import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { fromKafkaMessage, MalformedEventError, toKafkaMessage } from './cloud-event.ts';

const asConsumed = (message: ReturnType<typeof toKafkaMessage>): KafkaMessage => ({
  key: Buffer.from(String(message.key)),
  value: Buffer.from(String(message.value)),
  headers: Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]),
  ),
  timestamp: '1767225600000',
  attributes: 0,
  offset: '0',
});

describe('CloudEvents binary binding', () => {
  const event = {
    id: '019a0000-0000-7000-8000-000000000001',
    key: 'acc-1',
    type: 'girok.legal.v1.dsr.part_completed',
    source: 'audit-service',
    subject: 'acc-1',
    time: new Date('2026-01-01T00:00:00.123Z'),
    data: { requestId: 'r1', outcome: 'DSR_OUTCOME_RETAINED' },
  };

  it('writes the ce_ headers, content type, key and JSON value the kit writes', () => {
    expect(toKafkaMessage(event)).toEqual({
      key: 'acc-1',
      value: JSON.stringify(event.data),
      headers: {
        ce_specversion: '1.0',
        ce_id: event.id,
        ce_source: 'audit-service',
        ce_type: 'girok.legal.v1.dsr.part_completed',
        ce_time: '2026-01-01T00:00:00.123Z',
        ce_subject: 'acc-1',
        'content-type': 'application/json',
      },
    });
  });

  it('reads back what it writes', () => {
    expect(fromKafkaMessage('legal.dsr.v1', asConsumed(toKafkaMessage(event)))).toEqual({
      id: event.id,
      topic: 'legal.dsr.v1',
      key: 'acc-1',
      type: event.type,
      source: event.source,
      subject: 'acc-1',
      time: event.time,
      data: event.data,
    });
  });

  it('refuses records that are not CloudEvents', () => {
    const good = asConsumed(toKafkaMessage(event));
    const without = (name: string) => ({ ...good, headers: { ...good.headers, [name]: undefined } });
    for (const bad of [
      without('ce_id'),
      without('ce_specversion'),
      { ...good, headers: { ...good.headers, 'content-type': Buffer.from('text/plain') } },
      { ...good, key: null },
      { ...good, value: Buffer.from('{nope') },
      { ...good, headers: { ...good.headers, ce_time: Buffer.from('yesterday') } },
    ]) {
      expect(() => fromKafkaMessage('t', bad as KafkaMessage)).toThrow(MalformedEventError);
    }
  });
});
