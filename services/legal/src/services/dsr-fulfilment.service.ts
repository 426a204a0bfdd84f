import { createHmac } from 'node:crypto';
import { create, toJson } from '@bufbuild/protobuf';
import type { DsrFulfilmentRequested, DsrPartCompleted } from '@girok/contracts/legal/v1/dsr';
import { ConsentHistoryEntrySchema, ConsentSchema, DsrSchema } from '@girok/contracts/legal/v1/legal';
import { isUuid } from '@girok/kit/ids';
import type { Logger } from '@girok/kit/logging';
import { appendEvents, type OutboxEventInput } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { LegalConfig } from '../config.ts';
import {
  dsrOutcomeFromProto,
  dsrTypeFromProto,
  toConsent,
  toDsr,
  toHistoryEntry,
} from '../dtos/legal.dto.ts';
import { ConsentRepository } from '../repositories/consent.repository.ts';
import { type DsrPartRow, DsrRepository, type DsrSummaryRow } from '../repositories/dsr.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import type { DsrOutcomeValue, LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, LOGGER } from '../tokens.ts';
import { allAnswered, assembleExport, EXPORT_TYPES, parseExport } from './dsr-rules.ts';
import { auditEvent, LegalEvents, SERVICE_NAME } from './legal-events.ts';

/** The salted hash an erased account's id becomes in the consent history (HMAC-SHA256, hex). */
export function erasedAccountHash(pepper: Buffer, accountId: string): string {
  return createHmac('sha256', pepper).update(accountId).digest('hex');
}

interface OwnPart {
  readonly outcome: DsrOutcomeValue;
  readonly exportJson: unknown;
  readonly note: string;
}

/**
 * legal-service's side of the fulfilment protocol (dsr.proto), driven by legal.dsr.v1:
 * - as a participant it answers `fulfilment_requested` for its own data (erasure: consents deleted,
 *   history anonymised; access/portability: its export) with `part_completed`;
 * - as the coordinator it records every participant's `part_completed` once per (request,
 *   service) and, when all have answered, completes the request (`dsr.completed`), assembling the
 *   export for access and portability.
 * Every handler is idempotent: a redelivered event changes nothing (a repeated request is answered
 * again with the recorded outcome, as the protocol asks). Events of requests this deployment does
 * not hold are ignored; malformed ones are logged and skipped, never retried for ever.
 */
@Injectable()
export class DsrFulfilmentService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #dsrs: DsrRepository;
  readonly #consents: ConsentRepository;
  readonly #config: LegalConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(DsrRepository) dsrs: DsrRepository,
    @Inject(ConsentRepository) consents: ConsentRepository,
    @Inject(CONFIG) config: LegalConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#dsrs = dsrs;
    this.#consents = consents;
    this.#config = config;
    this.#logger = logger.child({ component: 'dsr-fulfilment' });
    this.#clock = clock;
  }

  async onRequested(message: DsrFulfilmentRequested): Promise<void> {
    if (!message.participants.includes(SERVICE_NAME)) return;
    await this.#db.transaction().execute(async (tx) => {
      const dsr = await this.#request(message.requestId, message.accountId, tx);
      if (dsr === undefined) return;
      const [answered] = (await this.#dsrs.partsOf([dsr.id], tx)).filter(
        (part) => part.service === SERVICE_NAME,
      );
      if (answered !== undefined) {
        await appendEvents(tx, [LegalEvents.partCompleted(dsr, answered)]);
        return;
      }
      if (dsr.status !== 'IN_PROGRESS') return;
      const now = this.#clock.now();
      const own = await this.#fulfil(dsr, tx);
      if (own === undefined) return;
      const part = await this.#dsrs.insertPart(
        {
          dsr_id: dsr.id,
          service: SERVICE_NAME,
          outcome: own.outcome,
          export_json: own.exportJson === null ? null : JSON.stringify(own.exportJson),
          note: own.note,
          answered_at: now,
        },
        tx,
      );
      if (part === undefined) return;
      await appendEvents(tx, [LegalEvents.partCompleted(dsr, part), this.#partAudit(dsr, part, now)]);
      await this.#completeIfDone(dsr, tx, now);
    });
  }

  async onPartCompleted(message: DsrPartCompleted): Promise<void> {
    const outcome = dsrOutcomeFromProto(message.outcome);
    const context = { requestId: message.requestId, service: message.service };
    if (outcome === undefined) {
      this.#logger.warn(context, 'part_completed without an outcome ignored');
      return;
    }
    await this.#db.transaction().execute(async (tx) => {
      const dsr = await this.#request(message.requestId, message.accountId, tx);
      if (dsr === undefined) return;
      if (dsrTypeFromProto(message.type) !== dsr.type || !dsr.participants.includes(message.service)) {
        this.#logger.warn(
          { ...context, type: message.type },
          'part_completed of another type or from a non-participant ignored',
        );
        return;
      }
      if (dsr.status !== 'IN_PROGRESS') return; // completed (every answer is in) or rejected
      const now = this.#clock.now();
      const exportJson = parseExport(message.exportJson);
      const part = await this.#dsrs.insertPart(
        {
          dsr_id: dsr.id,
          service: message.service,
          outcome,
          export_json: exportJson === null ? null : JSON.stringify(exportJson),
          note: message.note,
          answered_at: now,
        },
        tx,
      );
      if (part === undefined) return; // this service had answered already: a duplicate changes nothing
      await appendEvents(tx, [this.#partAudit(dsr, part, now)]);
      await this.#completeIfDone(dsr, tx, now);
    });
  }

  /** The request, locked, if this deployment holds it for this account. */
  async #request(requestId: string, accountId: string, tx: Executor): Promise<DsrSummaryRow | undefined> {
    const dsr = isUuid(requestId) ? await this.#dsrs.findByIdForUpdate(requestId, tx) : undefined;
    if (dsr === undefined) {
      this.#logger.debug({ requestId }, 'event of a request this deployment does not hold ignored');
      return undefined;
    }
    if (dsr.account_id !== accountId) {
      this.#logger.warn({ requestId }, 'event naming another account than the request ignored');
      return undefined;
    }
    return dsr;
  }

  /** What legal-service itself holds for the account: erased, or exported. */
  async #fulfil(dsr: DsrSummaryRow, tx: Executor): Promise<OwnPart | undefined> {
    if (dsr.type === 'ERASURE') {
      const hash = erasedAccountHash(this.#config.dsr.erasurePepper, dsr.account_id);
      const { consentsDeleted, historyAnonymised } = await this.#consents.eraseAccount(
        dsr.account_id,
        hash,
        tx,
      );
      return {
        outcome: historyAnonymised > 0 || consentsDeleted > 0 ? 'ANONYMISED' : 'RETAINED',
        exportJson: null,
        note:
          `${consentsDeleted} current consent(s) deleted; ${historyAnonymised} consent history entr(ies) kept ` +
          'under a salted hash of the account id without IP address or user agent, as proof of lawful ' +
          'processing (GDPR Art. 7(1)); data-subject requests kept as evidence of compliance (Art. 5(2)).',
      };
    }
    if (EXPORT_TYPES.includes(dsr.type)) {
      const consents = await this.#consents.listForAccount(dsr.account_id, tx);
      const history = await this.#consents.history(dsr.account_id, {}, tx);
      const dsrs = await this.#dsrs.forAccount(dsr.account_id, tx);
      const parts = await this.#dsrs.partsOf(
        dsrs.map((row) => row.id),
        tx,
      );
      return {
        outcome: 'EXPORTED',
        exportJson: {
          consents: consents.map((row) => toJson(ConsentSchema, create(ConsentSchema, toConsent(row)))),
          consentHistory: history.map((row) =>
            toJson(ConsentHistoryEntrySchema, create(ConsentHistoryEntrySchema, toHistoryEntry(row))),
          ),
          dataSubjectRequests: dsrs.map((row) => toJson(DsrSchema, create(DsrSchema, toDsr(row, parts)))),
        },
        note: '',
      };
    }
    return undefined;
  }

  async #completeIfDone(dsr: DsrSummaryRow, tx: Executor, now: Date): Promise<void> {
    const parts = await this.#dsrs.partsOf([dsr.id], tx);
    if (
      !allAnswered(
        dsr.participants,
        parts.map((part) => part.service),
      )
    )
      return;
    const assembled = EXPORT_TYPES.includes(dsr.type)
      ? assembleExport(
          dsr.participants,
          parts.map((part) => ({
            service: part.service,
            outcome: part.outcome,
            exportJson: part.export_json,
          })),
        )
      : null;
    const completed = await this.#dsrs.update(
      dsr.id,
      {
        status: 'COMPLETED',
        completed_at: now,
        updated_at: now,
        ...(assembled === null ? {} : { export_json: JSON.stringify(assembled) }),
      },
      tx,
    );
    const events: OutboxEventInput[] = [
      LegalEvents.completed(completed),
      auditEvent({
        action: 'dsr.complete',
        targetType: 'dsr',
        targetId: dsr.id,
        result: 'SUCCESS',
        now,
        metadata: { account_id: dsr.account_id, type: dsr.type, participants: dsr.participants.join(',') },
      }),
    ];
    await appendEvents(tx, events);
    this.#logger.info({ requestId: dsr.id, type: dsr.type }, 'data-subject request completed');
  }

  #partAudit(dsr: DsrSummaryRow, part: DsrPartRow, now: Date) {
    return auditEvent({
      action: 'dsr.part_complete',
      targetType: 'dsr',
      targetId: dsr.id,
      result: 'SUCCESS',
      now,
      metadata: { account_id: dsr.account_id, type: dsr.type, service: part.service, outcome: part.outcome },
    });
  }
}
