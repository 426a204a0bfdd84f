import { create, fromJson, type JsonValue, toJson } from '@bufbuild/protobuf';
import { AuditEventSchema } from '@girok/contracts/common/v1/common';
import {
  DsrFulfilmentRequestedSchema,
  DsrOutcome,
  DsrPartCompletedSchema,
  DsrType,
} from '@girok/contracts/legal/v1/dsr';
import type { EventRecord } from '@girok/kit/events';
import { isUuid, uuidv7 } from '@girok/kit/ids';
import type { Logger } from '@girok/kit/logging';
import type { ResiliencePolicy } from '@girok/kit/resilience';
import { type StoredAuditRow, toAuditEvent } from '../dtos/audit.dto.ts';
import type { AuditStore } from '../repositories/audit-store.ts';
import type { DsrAnswerPublisher } from '../repositories/dsr-answer.publisher.ts';
import type { Clock } from '../tokens.ts';
import type { RetentionPolicy } from './retention-policy.ts';

export const DSR_REQUESTED = 'girok.legal.v1.dsr.fulfilment_requested';
export const DSR_PART_COMPLETED = 'girok.legal.v1.dsr.part_completed';
export const PARTICIPANT = 'audit-service';

const ANSWERED_TYPES = new Set([DsrType.ACCESS, DsrType.PORTABILITY, DsrType.ERASURE]);

/** Rows read per round while assembling an export. */
const EXPORT_PAGE = 1000;

export interface DsrServiceDeps {
  readonly store: AuditStore;
  readonly policy: ResiliencePolicy;
  readonly publisher: DsrAnswerPublisher;
  readonly topic: string;
  readonly retention: RetentionPolicy;
  readonly exportMaxBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * audit-service's part in the DSR protocol (proto/girok/legal/v1/dsr.proto). Access and
 * portability get the account's audit trail as JSON; erasure gets RETAINED:
 * the security audit trail is kept under a legal obligation and for legal claims, GDPR Art.
 * 17(3)(b) and (e), until its retention period ends. The answer is published before the request's
 * offset is committed; ClickHouse being down makes the handler fail, and the consumer retries it.
 */
export class DsrService {
  readonly #deps: DsrServiceDeps;
  readonly #logger: Logger;

  constructor(deps: DsrServiceDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'dsr' });
  }

  readonly handle = async (event: EventRecord): Promise<void> => {
    if (event.type !== DSR_REQUESTED) return;
    let request: ReturnType<typeof fromJson<typeof DsrFulfilmentRequestedSchema>>;
    try {
      request = fromJson(DsrFulfilmentRequestedSchema, event.data as JsonValue, {
        ignoreUnknownFields: true,
      });
    } catch (error) {
      // Nothing to answer: legal-service's own data is malformed, and a retry cannot change it.
      this.#logger.error({ err: error, eventId: event.id }, 'skipped an unreadable DSR fulfilment request');
      return;
    }
    if (!request.participants.includes(PARTICIPANT)) return;
    // Rectification, restriction and objection have no participant part (dsr.proto).
    if (request.type !== DsrType.UNSPECIFIED && !ANSWERED_TYPES.has(request.type)) return;
    if (request.type === DsrType.UNSPECIFIED || request.requestId === '' || !isUuid(request.accountId)) {
      // No retry can make it answerable; legal-service escalates the request past its deadline.
      this.#logger.error(
        { eventId: event.id, requestId: request.requestId, type: request.type },
        'skipped a DSR fulfilment request that cannot be answered (type, request id or account id)',
      );
      return;
    }
    const answer = await this.answer(request.requestId, request.accountId, request.type);
    const now = this.#deps.clock.now();
    await this.#deps.publisher.publish(this.#deps.topic, {
      id: uuidv7(now.getTime()),
      key: request.accountId,
      type: DSR_PART_COMPLETED,
      source: PARTICIPANT,
      subject: request.accountId,
      time: now,
      data: toJson(DsrPartCompletedSchema, answer),
    });
    this.#logger.info(
      { requestId: request.requestId, type: DsrType[request.type], outcome: DsrOutcome[answer.outcome] },
      'answered a DSR',
    );
  };

  async answer(requestId: string, accountId: string, type: DsrType) {
    const base = { requestId, accountId, type, service: PARTICIPANT };
    if (type === DsrType.ACCESS || type === DsrType.PORTABILITY) {
      const trail = await this.#trail(accountId);
      if (trail.events.length === 0) {
        return create(DsrPartCompletedSchema, {
          ...base,
          outcome: DsrOutcome.NOTHING_HELD,
          note: 'audit-service holds no audit events for this account',
        });
      }
      return create(DsrPartCompletedSchema, {
        ...base,
        outcome: DsrOutcome.EXPORTED,
        exportJson: trail.json,
        note: trail.complete
          ? `The account's security audit trail: ${trail.events.length} events`
          : `The ${trail.events.length} most recent events of the account's security audit trail (the ` +
            'whole trail exceeds one answer); the complete trail can be read with AuditService.GetAccountTrail',
      });
    }
    const months = Math.max(this.#deps.retention.access, this.#deps.retention.consent);
    return create(DsrPartCompletedSchema, {
      ...base,
      outcome: DsrOutcome.RETAINED,
      note:
        'audit-service keeps the security audit trail of this account (logins, security and consent ' +
        'actions): it is retained under a legal obligation and for the establishment, exercise or ' +
        'defence of legal claims (GDPR Art. 17(3)(b) and (e)), readable only by authorised ' +
        `administrators, and deleted when its retention period ends (${months} months for access and ` +
        'consent history).',
    });
  }

  /** The account's trail, newest first, as many events as fit in one answer, exported oldest first. */
  async #trail(accountId: string) {
    const events: JsonValue[] = [];
    let bytes = 0;
    let complete = true;
    let after: { occurredAtMs: number; id: string } | undefined;
    for (;;) {
      const page: StoredAuditRow[] = await this.#deps.policy.execute((signal) =>
        this.#deps.store.find(
          {
            filter: { kind: 'trail', accountId },
            limit: EXPORT_PAGE,
            ...(after === undefined ? {} : { after }),
          },
          signal,
        ),
      );
      for (const row of page) {
        const json = toJson(AuditEventSchema, create(AuditEventSchema, toAuditEvent(row)));
        const size = Buffer.byteLength(JSON.stringify(json)) + 1;
        if (bytes + size > this.#deps.exportMaxBytes) {
          complete = false;
          break;
        }
        events.push(json);
        bytes += size;
      }
      const last = page.at(-1);
      if (!complete || page.length < EXPORT_PAGE || last === undefined) break;
      after = { occurredAtMs: Number(last.occurred_at_ms), id: last.id };
    }
    events.reverse();
    const json = JSON.stringify({
      service: PARTICIPANT,
      accountId,
      generatedAt: this.#deps.clock.now().toISOString(),
      complete,
      auditEvents: events,
    });
    return { events, complete, json };
  }
}
