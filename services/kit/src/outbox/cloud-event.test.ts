import type { KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  approximateSize,
  fromKafkaMessage,
  MalformedEventError,
  type PendingEvent,
  toKafkaMessage,
} from './cloud-event.ts';

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

/** A produced message as a consumer receives it: key, value and headers as bytes. */
function asConsumed(message: Message, timestamp = '1700000000000'): KafkaMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Buffer.from(String(value));
  }
  return {
    key: message.key === null || message.key === undefined ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.from(message.value),
    headers,
    timestamp,
    attributes: 0,
    offset: '7',
  };
}

describe('fromKafkaMessage', () => {
  it('reads back exactly the event toKafkaMessage wrote', () => {
    expect(fromKafkaMessage(event.topic, asConsumed(toKafkaMessage(event)))).toEqual({
      id: event.id,
      topic: 'identity.account.v1',
      key: 'acc-1',
      type: 'dev.girok.identity.account.created.v1',
      source: '/girok/identity-service',
      subject: 'acc-1',
      time: new Date('2026-11-25T10:11:12.345Z'),
      // Parsed as any JSON consumer parses it (numbers beyond 2^53 lose precision there too).
      data: JSON.parse(event.data),
    });
  });

  it('gives a null subject when there is none, and takes the record timestamp when ce_time is missing', () => {
    const message = asConsumed(toKafkaMessage({ ...event, subject: null }), '1700000000123');
    delete message.headers?.ce_time;
    const decoded = fromKafkaMessage(event.topic, message);
    expect(decoded.subject).toBeNull();
    expect(decoded.time).toEqual(new Date(1700000000123));
  });

  it('accepts a JSON content type with parameters', () => {
    const message = asConsumed(toKafkaMessage(event));
    (message.headers ?? {})['content-type'] = Buffer.from('application/json; charset=utf-8');
    expect(fromKafkaMessage(event.topic, message).id).toBe(event.id);
  });

  it.each([
    ['no ce_id', (m: KafkaMessage) => delete m.headers?.ce_id, /no ce_id header/],
    ['no ce_type', (m: KafkaMessage) => delete m.headers?.ce_type, /no ce_type header/],
    ['no ce_source', (m: KafkaMessage) => delete m.headers?.ce_source, /no ce_source header/],
    ['no spec version', (m: KafkaMessage) => delete m.headers?.ce_specversion, /no ce_specversion/],
    [
      'another spec version',
      (m: KafkaMessage) => Object.assign(m.headers ?? {}, { ce_specversion: Buffer.from('0.3') }),
      /spec version 0.3/,
    ],
    [
      'another content type',
      (m: KafkaMessage) => Object.assign(m.headers ?? {}, { 'content-type': Buffer.from('text/plain') }),
      /content type text\/plain/,
    ],
    ['no key', (m: KafkaMessage) => Object.assign(m, { key: null }), /no key/],
    ['data that is not JSON', (m: KafkaMessage) => Object.assign(m, { value: Buffer.from('{nope') }), /JSON/],
    [
      'an unreadable time',
      (m: KafkaMessage) => Object.assign(m.headers ?? {}, { ce_time: Buffer.from('yesterday') }),
      /time yesterday/,
    ],
  ])('refuses a record with %s as malformed', (_what, spoil, reason) => {
    const message = asConsumed(toKafkaMessage(event));
    spoil(message);
    expect(() => fromKafkaMessage(event.topic, message)).toThrow(MalformedEventError);
    expect(() => fromKafkaMessage(event.topic, message)).toThrow(reason);
  });
});

describe('approximateSize', () => {
  it('counts the data in bytes, not characters', () => {
    const ascii = approximateSize({ ...event, data: '"aaaa"' });
    const multiByte = approximateSize({ ...event, data: '"éééé"' });
    expect(multiByte - ascii).toBe(4);
  });
});
