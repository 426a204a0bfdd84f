// CloudEvents 1.0 in the Kafka binary binding: the kit's encoding, for an event this service
// publishes itself (audit-service has no outbox: its DSR answers go straight to Kafka).
import { toKafkaMessage as encode } from '@girok/kit/outbox';
import type { Message } from 'kafkajs';

export { fromKafkaMessage, MalformedEventError } from '@girok/kit/outbox';

/** An event to publish: the CloudEvents attributes, the key and JSON data. */
export interface OutgoingEvent {
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: Date;
  readonly data: unknown;
}

export function toKafkaMessage(event: OutgoingEvent): Message {
  const { time, data, ...attributes } = event;
  return encode({ ...attributes, data: JSON.stringify(data), createdAt: time });
}
