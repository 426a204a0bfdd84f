import type { Logger } from '@girok/kit/logging';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DsrRepository } from '../repositories/dsr.repository.ts';
import type { LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE, LOGGER } from '../tokens.ts';
import { escalates, escalationLevel, WARNING_DAYS } from './dsr-rules.ts';
import { auditEvent, LegalEvents } from './legal-events.ts';

const DAY_MS = 86_400_000;

/**
 * The scheduled job: open requests move NONE → WARNING → CRITICAL → OVERDUE as their deadline
 * nears and passes. Each level is recorded by a conditional update, so with several replicas
 * running the job each change is written and announced (legal.dsr.v1 `escalated` + audit) once.
 */
@Injectable()
export class DsrEscalationService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #dsrs: DsrRepository;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(DsrRepository) dsrs: DsrRepository,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#db = db;
    this.#dsrs = dsrs;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** One pass; returns how many requests escalated. */
  async run(): Promise<number> {
    const now = this.#clock.now();
    const due = await this.#dsrs.openDueBy(new Date(now.getTime() + WARNING_DAYS * DAY_MS));
    let escalated = 0;
    for (const dsr of due) {
      const level = escalationLevel(dsr.deadline_at, now);
      if (!escalates(dsr.escalation, level)) continue;
      const changed = await this.#db.transaction().execute(async (tx) => {
        const updated = await this.#dsrs.escalate(dsr.id, dsr.escalation, level, now, tx);
        if (updated === undefined) return false;
        const parts = await this.#dsrs.partsOf([dsr.id], tx);
        await appendEvents(tx, [
          LegalEvents.dsr('escalated', updated, parts),
          auditEvent({
            action: 'dsr.escalate',
            targetType: 'dsr',
            targetId: dsr.id,
            result: 'SUCCESS',
            now,
            metadata: {
              account_id: dsr.account_id,
              from: dsr.escalation,
              to: level,
              deadline_at: dsr.deadline_at.toISOString(),
            },
          }),
        ]);
        return true;
      });
      if (changed) {
        escalated += 1;
        this.#logger.info(
          { requestId: dsr.id, from: dsr.escalation, to: level },
          'data-subject request escalated',
        );
      }
    }
    return escalated;
  }
}
