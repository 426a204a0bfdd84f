import { create, type DescMessage, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AuditEventSchema as AuditEvent,
  type AuditEventSchema,
  AuditResult,
  type ClientInfo,
} from '@girok/contracts/common/v1/common';
import { currentRequestId } from '../context/request-context.ts';
import { uuidv7 } from '../ids/uuidv7.ts';
import type { OutboxEventInput } from './append-events.ts';

/** The topic every service's security-relevant actions go to (audit-service, docs/architecture.md §3). */
export const AUDIT_TOPIC = 'audit.event.v1';

export interface AuditInput {
  readonly action: string;
  /** The account acting; empty for the service itself (a scheduled job). */
  readonly actorId?: string;
  readonly targetType: string;
  readonly targetId?: string;
  readonly result: 'SUCCESS' | 'FAILURE' | 'DENIED';
  /** Why the result was what it was (an error code); empty on success. */
  readonly reason?: string;
  readonly client?: ClientInfo | undefined;
  readonly metadata?: Record<string, string>;
  readonly now: Date;
}

/**
 * One service's event vocabulary: `event(...)` builds a domain event of type
 * `girok.<domain>.v1.<aggregate>.<change>` whose data is a contract message in proto3 JSON, and
 * `audit(...)` a `girok.common.v1.AuditEvent` for `audit.event.v1`, keyed by the actor (or target).
 * Both are appended through the outbox in the transaction of the change they describe.
 */
export function domainEvents(service: string, domain: string) {
  return {
    event<Desc extends DescMessage>(
      topic: string,
      aggregate: string,
      change: string,
      key: string,
      schema: Desc,
      data: MessageInitShape<Desc>,
    ): OutboxEventInput {
      return {
        topic,
        key,
        type: `girok.${domain}.v1.${aggregate}.${change}`,
        subject: key,
        source: service,
        data: toJson(schema, create(schema, data)),
      };
    },

    audit(input: AuditInput): OutboxEventInput {
      const data: MessageInitShape<typeof AuditEventSchema> = {
        id: uuidv7(),
        occurredAt: timestampFromDate(input.now),
        service,
        action: input.action,
        actorId: input.actorId ?? '',
        targetType: input.targetType,
        targetId: input.targetId ?? '',
        result: AuditResult[input.result],
        reason: input.reason ?? '',
        ipAddress: input.client?.ipAddress ?? '',
        userAgent: input.client?.userAgent ?? '',
        traceId: currentRequestId() ?? '',
        metadata: input.metadata ?? {},
      };
      return {
        topic: AUDIT_TOPIC,
        key: input.actorId || input.targetId || service,
        type: 'girok.audit.v1.event',
        subject: input.targetId ?? '',
        source: service,
        data: toJson(AuditEvent, create(AuditEvent, data)),
      };
    },
  };
}
