import type { Message } from 'kafkajs';

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

/**
 * CloudEvents 1.0 in the Kafka protocol binding, binary content mode: attributes as `ce_` headers,
 * `datacontenttype` as `content-type`, the data itself as the value, the aggregate id as the key.
 */
export function toKafkaMessage(event: PendingEvent): Message {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    [CE_ID_HEADER]: event.id,
    [CE_SOURCE_HEADER]: event.source,
    ce_type: event.type,
    // When the state change happened (its transaction), not when the relay got round to it.
    ce_time: event.createdAt.toISOString(),
    'content-type': 'application/json',
  };
  if (event.subject !== null) headers.ce_subject = event.subject;
  return { key: event.key, value: event.data, headers };
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
