import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  type DsrFulfilmentRequested,
  DsrFulfilmentRequestedSchema,
  DsrOutcome,
  type DsrPartCompleted,
  DsrPartCompletedSchema,
  DsrType,
} from '@girok/contracts/legal/v1/dsr';
import type { Message } from 'kafkajs';
import type { EventRecord } from '../events/in-process-bus.ts';
import { isUuid, uuidv7 } from '../ids/uuidv7.ts';
import type { OutboxEventInput } from '../outbox/append-events.ts';
import { toKafkaMessage } from '../outbox/cloud-event.ts';
import { domainEvents } from '../outbox/domain-events.ts';

/** The topic of the whole protocol (proto/girok/legal/v1/dsr.proto), keyed by account id. */
export const DSR_TOPIC = 'legal.dsr.v1';
/** legal-service → participants. */
export const DSR_FULFILMENT_REQUESTED = 'girok.legal.v1.dsr.fulfilment_requested';
/** Each participant → legal-service. */
export const DSR_PART_COMPLETED = 'girok.legal.v1.dsr.part_completed';

/** The request types a participant answers; the others are settled by legal-service alone. */
export type DsrRequestType = 'ACCESS' | 'PORTABILITY' | 'ERASURE';

export interface DsrRequest {
  readonly requestId: string;
  readonly accountId: string;
  readonly type: DsrRequestType;
}

/** What a service did with an account's data on an erasure request (DsrOutcome, by name). */
export type DsrErasureOutcome = 'ERASED' | 'ANONYMISED' | 'RETAINED' | 'NOTHING_HELD';

export interface DsrErasureResult {
  readonly outcome: DsrErasureOutcome;
  /** Why data was retained or anonymised, or anything the controller should know. */
  readonly note?: string;
}

/** What to do with one event off `legal.dsr.v1`. */
export type DsrDecision =
  | { readonly action: 'answer'; readonly request: DsrRequest }
  /** Not for this service: another event type, other participants, a type it has no part in. */
  | { readonly action: 'ignore'; readonly reason: string }
  /** A fulfilment request that can never be answered as sent (no retry will change that). */
  | { readonly action: 'reject'; readonly reason: string };

const PARTICIPANT_TYPES = new Map<DsrType, DsrRequestType>([
  [DsrType.ACCESS, 'ACCESS'],
  [DsrType.PORTABILITY, 'PORTABILITY'],
  [DsrType.ERASURE, 'ERASURE'],
]);

/**
 * Decodes an event off `legal.dsr.v1` (its data is a `DsrFulfilmentRequested` in proto3 JSON;
 * fields added later are ignored) and decides whether `service` must answer it.
 */
export function decideDsrEvent(event: EventRecord, service: string): DsrDecision {
  if (event.type !== DSR_FULFILMENT_REQUESTED) return { action: 'ignore', reason: `type ${event.type}` };
  let requested: DsrFulfilmentRequested;
  try {
    requested = fromJson(DsrFulfilmentRequestedSchema, event.data as JsonValue, {
      ignoreUnknownFields: true,
    });
  } catch (error) {
    return { action: 'reject', reason: `data is not a DsrFulfilmentRequested: ${(error as Error).message}` };
  }
  if (!requested.participants.includes(service)) {
    return { action: 'ignore', reason: `participants ${requested.participants.join(', ') || '(none)'}` };
  }
  // An enum value this build does not know decodes as UNSPECIFIED (unknown fields are ignored).
  if (requested.type === DsrType.UNSPECIFIED)
    return { action: 'reject', reason: 'type unspecified or unknown' };
  const type = PARTICIPANT_TYPES.get(requested.type);
  if (type === undefined) {
    return {
      action: 'ignore',
      reason: `${DsrType[requested.type] ?? requested.type} has no participant part`,
    };
  }
  if (requested.requestId === '') return { action: 'reject', reason: 'no request_id' };
  // Account ids are UUIDs everywhere; anything else would fail in the service's queries for ever.
  if (!isUuid(requested.accountId)) {
    return { action: 'reject', reason: `account_id ${JSON.stringify(requested.accountId)} is not a UUID` };
  }
  return {
    action: 'answer',
    request: { requestId: requested.requestId, accountId: requested.accountId, type },
  };
}

/**
 * True when an export holds nothing: no value, or an object whose every field is null, undefined,
 * an empty array or an empty object (a service returning `{ sessions: [], devices: [] }`).
 */
export function isEmptyExport(data: object | null | undefined): boolean {
  if (data === null || data === undefined) return true;
  return Object.values(data).every(
    (value) =>
      value === null ||
      value === undefined ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0),
  );
}

/** The answer to an access or portability request: the export as JSON text, or NOTHING_HELD. */
export function exportAnswer(
  service: string,
  request: DsrRequest,
  data: object | null | undefined,
): DsrPartCompleted {
  const empty = isEmptyExport(data);
  return answer(service, request, {
    outcome: empty ? DsrOutcome.NOTHING_HELD : DsrOutcome.EXPORTED,
    exportJson: empty ? '' : JSON.stringify(data),
    note: '',
  });
}

/** The answer to an erasure request. */
export function erasureAnswer(
  service: string,
  request: DsrRequest,
  result: DsrErasureResult,
): DsrPartCompleted {
  return answer(service, request, {
    outcome: DsrOutcome[result.outcome],
    exportJson: '',
    note: result.note ?? '',
  });
}

function answer(
  service: string,
  request: DsrRequest,
  fields: { outcome: DsrOutcome; exportJson: string; note: string },
): DsrPartCompleted {
  return create(DsrPartCompletedSchema, {
    requestId: request.requestId,
    accountId: request.accountId,
    type: DsrType[request.type],
    service,
    ...fields,
  });
}

/**
 * The `girok.legal.v1.dsr.part_completed` event for `answer`, on `legal.dsr.v1` keyed by the account
 * (so it stays in order with the request), source = the answering service.
 */
export function partCompletedEvent(service: string, answer: DsrPartCompleted): OutboxEventInput {
  return domainEvents(service, 'legal').event(
    DSR_TOPIC,
    'dsr',
    'part_completed',
    answer.accountId,
    DsrPartCompletedSchema,
    answer,
  );
}

/** A fulfilment request as legal-service words it. */
export interface DsrFulfilmentInput {
  readonly requestId: string;
  readonly accountId: string;
  readonly type: DsrRequestType | 'RECTIFICATION' | 'RESTRICTION' | 'OBJECTION';
  readonly participants: readonly string[];
}

/**
 * legal-service's half: the `girok.legal.v1.dsr.fulfilment_requested` event for its outbox, on
 * `legal.dsr.v1` keyed by the account.
 */
export function fulfilmentRequestedEvent(input: DsrFulfilmentInput): OutboxEventInput {
  return domainEvents('legal-service', 'legal').event(
    DSR_TOPIC,
    'dsr',
    'fulfilment_requested',
    input.accountId,
    DsrFulfilmentRequestedSchema,
    {
      requestId: input.requestId,
      accountId: input.accountId,
      type: DsrType[input.type],
      participants: [...input.participants],
    },
  );
}

/**
 * The Kafka record legal-service's outbox relay publishes for `input` (CloudEvents binary binding,
 * exactly as the relay writes it): for participants' suites that play legal-service. Pass the
 * same `eventId` again to redeliver the very same event.
 */
export function fulfilmentRequestedMessage(
  input: DsrFulfilmentInput,
  options: { readonly eventId?: string; readonly time?: Date } = {},
): Message {
  const event = fulfilmentRequestedEvent(input);
  return toKafkaMessage({
    id: options.eventId ?? uuidv7(),
    key: event.key,
    type: event.type,
    source: event.source,
    subject: event.subject ?? null,
    data: JSON.stringify(event.data),
    createdAt: options.time ?? new Date(),
  });
}
