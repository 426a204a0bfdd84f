import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { EventRecord } from '../events/in-process-bus.ts';

/** A pending outbox row as the relay reads it. */
export interface PendingEvent {
  readonly seq: string;
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  /** The stored JSON, as text. */
  readonly data: string;
  readonly createdAt: Date;
}

/** The header that carries the event id; recovery looks for it when reading a topic back. */
export const CE_ID_HEADER = 'ce_id';
export const CE_SOURCE_HEADER = 'ce_source';
const CE_SPECVERSION_HEADER = 'ce_specversion';
const CE_TYPE_HEADER = 'ce_type';
const CE_TIME_HEADER = 'ce_time';
const CE_SUBJECT_HEADER = 'ce_subject';
const CONTENT_TYPE_HEADER = 'content-type';
const SPEC_VERSION = '1.0';
const JSON_CONTENT_TYPE = 'application/json';

/**
 * CloudEvents 1.0 in the Kafka protocol binding, binary content mode: attributes as `ce_` headers,
 * `datacontenttype` as `content-type`, the data itself as the value, the aggregate id as the key.
 */
export function toKafkaMessage(event: Omit<PendingEvent, 'seq' | 'topic'>): Message {
  const headers: Record<string, string> = {
    [CE_SPECVERSION_HEADER]: SPEC_VERSION,
    [CE_ID_HEADER]: event.id,
    [CE_SOURCE_HEADER]: event.source,
    [CE_TYPE_HEADER]: event.type,
    // When the state change happened (its transaction), not when the relay got round to it.
    [CE_TIME_HEADER]: event.createdAt.toISOString(),
    [CONTENT_TYPE_HEADER]: JSON_CONTENT_TYPE,
  };
  if (event.subject !== null) headers[CE_SUBJECT_HEADER] = event.subject;
  return { key: event.key, value: event.data, headers };
}

/** A record that is not one of our CloudEvents: no retry can make it decode, so it is poison. */
export class MalformedEventError extends Error {
  constructor(reason: string) {
    super(`not a CloudEvent in the Kafka binary binding: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * The inverse of `toKafkaMessage`: a consumed record back into the event the outbox stored. Throws
 * `MalformedEventError` for a record without the required attributes, of another spec version or
 * content type, with an unreadable time or data that is not JSON. A record without `ce_time`
 * takes its Kafka timestamp.
 */
export function fromKafkaMessage(topic: string, message: KafkaMessage): EventRecord {
  const header = (name: string) => headerText(message.headers, name);
  const required = (name: string) => {
    const value = header(name);
    if (value === undefined || value === '') throw new MalformedEventError(`no ${name} header`);
    return value;
  };
  const specVersion = required(CE_SPECVERSION_HEADER);
  if (specVersion !== SPEC_VERSION) throw new MalformedEventError(`spec version ${specVersion}`);
  const contentType = header(CONTENT_TYPE_HEADER);
  // The binding allows parameters (`; charset=utf-8`); without the header the data is ours, so JSON.
  if (contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() !== JSON_CONTENT_TYPE) {
    throw new MalformedEventError(`content type ${contentType}`);
  }
  if (message.key === null || message.key.length === 0) throw new MalformedEventError('no key');
  const timeText = header(CE_TIME_HEADER);
  const time = new Date(timeText ?? Number(message.timestamp));
  if (Number.isNaN(time.getTime())) throw new MalformedEventError(`time ${timeText}`);
  let data: unknown = null;
  if (message.value !== null) {
    try {
      data = JSON.parse(message.value.toString('utf8'));
    } catch {
      throw new MalformedEventError('data is not JSON');
    }
  }
  return {
    id: required(CE_ID_HEADER),
    topic,
    key: message.key.toString('utf8'),
    type: required(CE_TYPE_HEADER),
    source: required(CE_SOURCE_HEADER),
    subject: header(CE_SUBJECT_HEADER) ?? null,
    time,
    data,
  };
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Bytes a message adds to a produce request, near enough to keep batches under the broker's limit. */
export function approximateSize(event: PendingEvent): number {
  // Fixed part: header names, specversion, time, content type and record overhead.
  return (
    160 +
    event.id.length +
    event.key.length +
    event.type.length +
    event.source.length +
    (event.subject?.length ?? 0) +
    Buffer.byteLength(event.data)
  );
}
