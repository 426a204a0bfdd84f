import { fromJson, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  AuditEventSchema as AuditEventMessage,
  type AuditEventSchema,
  AuditResult,
} from '@girok/contracts/common/v1/common';
import type { EventRecord } from '@girok/kit/events';
import { type CategoryName, categoryOf } from '../services/audit-category.ts';

/** One audit event as stored in ClickHouse (the JSONEachRow shape of `audit_events`). */
export interface AuditRow {
  /** The AuditEvent's id (the CloudEvent id when the event has none): the deduplication key. */
  readonly id: string;
  /** The CloudEvent id it arrived under. */
  readonly event_id: string;
  /** `YYYY-MM-DD hh:mm:ss` in UTC: second precision, the partition and pruning column. */
  readonly occurred_at: string;
  /** Milliseconds since the epoch: the exact time, the order of pages (no DateTime64 on 18.16). */
  readonly occurred_at_ms: number;
  readonly category: CategoryName;
  /** The account whose trail this is: the actor, or for an anonymous action the target account. */
  readonly account_id: string;
  readonly service: string;
  readonly action: string;
  readonly actor_id: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly result: ResultName;
  readonly reason: string;
  readonly ip_address: string;
  readonly user_agent: string;
  readonly trace_id: string;
  /** The metadata map as a JSON object text (ClickHouse 18.16 has no Map type). */
  readonly metadata: string;
  /** The CloudEvent source (the producing service). */
  readonly source: string;
  readonly ingested_at: string;
}

export type ResultName = 'UNSPECIFIED' | 'SUCCESS' | 'FAILURE' | 'DENIED';

const RESULT_NAMES: Record<AuditResult, ResultName> = {
  [AuditResult.UNSPECIFIED]: 'UNSPECIFIED',
  [AuditResult.SUCCESS]: 'SUCCESS',
  [AuditResult.FAILURE]: 'FAILURE',
  [AuditResult.DENIED]: 'DENIED',
};

/** An event that can never be stored (no AuditEvent in it): it goes to the dead-letter topic. */
export class NotAnAuditEventError extends Error {
  constructor(reason: string) {
    super(`not a girok.common.v1.AuditEvent: ${reason}`);
    this.name = 'NotAnAuditEventError';
  }
}

/** `2026-03-01T12:34:56.789Z` → `2026-03-01 12:34:56`, the DateTime text ClickHouse reads. */
export function clickhouseDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

// ClickHouse's DateTime is an unsigned 32-bit count of seconds: 1970 to 2105.
const MAX_DATETIME_MS = 4_294_967_295_000;

/** The row for an event of `audit.event.v1`, whose data is a `girok.common.v1.AuditEvent` in proto3 JSON. */
export function auditRowOf(record: EventRecord, ingestedAt: Date): AuditRow {
  if (record.data === null || typeof record.data !== 'object' || Array.isArray(record.data)) {
    throw new NotAnAuditEventError('data is not a JSON object');
  }
  let event: ReturnType<typeof fromJson<typeof AuditEventMessage>>;
  try {
    event = fromJson(AuditEventMessage, record.data as JsonValue, { ignoreUnknownFields: true });
  } catch (error) {
    throw new NotAnAuditEventError((error as Error).message);
  }
  const occurredAtMs = event.occurredAt === undefined ? record.time.getTime() : timestampMs(event.occurredAt);
  if (!Number.isSafeInteger(occurredAtMs) || occurredAtMs < 0 || occurredAtMs > MAX_DATETIME_MS) {
    throw new NotAnAuditEventError(`occurred_at ${occurredAtMs} is outside 1970-2106`);
  }
  if (event.action === '') throw new NotAnAuditEventError('no action');
  const service = event.service || record.source;
  const accountId = event.actorId || (event.targetType === 'account' ? event.targetId : '');
  return {
    id: event.id || record.id,
    event_id: record.id,
    occurred_at: clickhouseDateTime(occurredAtMs),
    occurred_at_ms: occurredAtMs,
    category: categoryOf(service, event.action),
    account_id: accountId,
    service,
    action: event.action,
    actor_id: event.actorId,
    target_type: event.targetType,
    target_id: event.targetId,
    result: RESULT_NAMES[event.result] ?? 'UNSPECIFIED',
    reason: event.reason,
    ip_address: event.ipAddress,
    user_agent: event.userAgent,
    trace_id: event.traceId,
    metadata: JSON.stringify(event.metadata),
    source: record.source,
    ingested_at: clickhouseDateTime(ingestedAt.getTime()),
  };
}

/** The columns a query reads back (named, never `SELECT *`). */
export const READ_COLUMNS = [
  'id',
  'occurred_at_ms',
  'service',
  'action',
  'actor_id',
  'target_type',
  'target_id',
  'result',
  'reason',
  'ip_address',
  'user_agent',
  'trace_id',
  'metadata',
] as const;

/** A row as a query returns it (UInt64 comes back as a string in JSON). */
export type StoredAuditRow = Readonly<Record<(typeof READ_COLUMNS)[number], string>>;

const RESULTS: Record<string, AuditResult> = {
  SUCCESS: AuditResult.SUCCESS,
  FAILURE: AuditResult.FAILURE,
  DENIED: AuditResult.DENIED,
};

export function toAuditEvent(row: StoredAuditRow): MessageInitShape<typeof AuditEventSchema> {
  let metadata: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(row.metadata);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      metadata = Object.fromEntries(
        Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
    }
  } catch {
    // Written by this service as JSON; an unreadable value is shown as no metadata rather than failing the page.
  }
  return {
    id: row.id,
    occurredAt: timestampFromMs(Number(row.occurred_at_ms)),
    service: row.service,
    action: row.action,
    actorId: row.actor_id,
    targetType: row.target_type,
    targetId: row.target_id,
    result: RESULTS[row.result] ?? AuditResult.UNSPECIFIED,
    reason: row.reason,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    traceId: row.trace_id,
    metadata,
  };
}
