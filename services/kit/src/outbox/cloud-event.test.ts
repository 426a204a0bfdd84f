import { describe, expect, it } from 'vitest';
import { approximateSize, type PendingEvent, toKafkaMessage } from './cloud-event.ts';

const event: PendingEvent = {
  seq: '42',
  id: '0190f5a2-7c3e-7a1b-8c2d-3e4f5a6b7c8d',
  topic: 'identity.account.v1',
  key: 'acc-1',
  type: 'dev.girok.identity.account.created.v1',
  source: '/girok/identity-service',
  subject: 'acc-1',
  data: '{"email":"ada@example.com","n":12345678901234567890}',
  createdAt: new Date('2026-11-25T10:11:12.345Z'),
};

describe('toKafkaMessage', () => {
  it('maps the event to CloudEvents 1.0 binary mode: ce_ headers, JSON value, aggregate key', () => {
    expect(toKafkaMessage(event)).toEqual({
      key: 'acc-1',
      value: '{"email":"ada@example.com","n":12345678901234567890}',
      headers: {
        ce_specversion: '1.0',
        ce_id: '0190f5a2-7c3e-7a1b-8c2d-3e4f5a6b7c8d',
        ce_source: '/girok/identity-service',
        ce_type: 'dev.girok.identity.account.created.v1',
        ce_subject: 'acc-1',
        ce_time: '2026-11-25T10:11:12.345Z',
        'content-type': 'application/json',
      },
    });
  });

  it('leaves ce_subject out when the event has none', () => {
    const headers = toKafkaMessage({ ...event, subject: null }).headers ?? {};
    expect(Object.keys(headers)).not.toContain('ce_subject');
  });
});

describe('approximateSize', () => {
  it('counts the data in bytes, not characters', () => {
    const ascii = approximateSize({ ...event, data: '"aaaa"' });
    const multiByte = approximateSize({ ...event, data: '"éééé"' });
    expect(multiByte - ascii).toBe(4);
  });
});
