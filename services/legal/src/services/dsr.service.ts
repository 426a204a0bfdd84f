import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DsrType } from '@girok/contracts/legal/v1/dsr';
import {
  DsrStatus,
  type FileDsrRequest,
  type FileDsrResponseSchema,
  type GetDsrExportRequest,
  type GetDsrExportResponseSchema,
  type GetDsrRequest,
  type GetDsrResponseSchema,
  type ListDsrsRequest,
  type ListDsrsResponseSchema,
  type UpdateDsrStatusRequest,
  type UpdateDsrStatusResponseSchema,
} from '@girok/contracts/legal/v1/legal';
import { isUniqueViolation } from '@girok/kit/db';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { accountOf, type Caller, holds } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { LegalConfig } from '../config.ts';
import { dsrStatusFromProto, dsrTypeFromProto, lawValues, toDsr } from '../dtos/legal.dto.ts';
import { DsrRepository, type DsrSummaryRow } from '../repositories/dsr.repository.ts';
import { LawRepository } from '../repositories/law.repository.ts';
import type { LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.ts';
import { checkCountry } from './document-rules.ts';
import {
  dsrDeadline,
  EXPORT_TYPES,
  escalationLevel,
  participantsFor,
  statusChangeAllowed,
} from './dsr-rules.ts';
import { auditEvent, LegalEvents } from './legal-events.ts';
import { afterIdFrom, checkId, pageOf, pageSize, requireIds } from './validation.ts';

const MAX_DETAILS = 5000;
const MAX_RESOLUTION = 2000;

/** Who works on every account's requests. */
const MANAGE_DSRS = 'dsr:manage';

function requireDsrDesk(caller: Caller): void {
  assertThat(
    holds(caller, MANAGE_DSRS),
    'PERMISSION_DENIED',
    'PERMISSION_DENIED',
    `This needs the ${MANAGE_DSRS} permission`,
  );
}

const dsrNotFound = () => new DomainError('NOT_FOUND', 'DSR_NOT_FOUND', 'No such data-subject request');

/**
 * Data-subject requests: filed with a deadline from the strictest applicable law; ERASURE, ACCESS
 * and PORTABILITY start their fulfilment through events at once (DsrFulfilmentService completes
 * them); the others are moved on by an admin with dsr:manage.
 */
@Injectable()
export class DsrService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #dsrs: DsrRepository;
  readonly #laws: LawRepository;
  readonly #config: LegalConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(DsrRepository) dsrs: DsrRepository,
    @Inject(LawRepository) laws: LawRepository,
    @Inject(CONFIG) config: LegalConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#dsrs = dsrs;
    this.#laws = laws;
    this.#config = config;
    this.#clock = clock;
  }

  async file(
    caller: Caller,
    request: FileDsrRequest,
  ): Promise<MessageInitShape<typeof FileDsrResponseSchema>> {
    const type = dsrTypeFromProto(request.type);
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    v.check(
      request.type !== DsrType.UNSPECIFIED && type !== undefined,
      'type',
      'must be a DSR type such as DSR_TYPE_ERASURE',
    );
    v.check(request.details.length <= MAX_DETAILS, 'details', `must be at most ${MAX_DETAILS} characters`);
    if (request.country !== '') checkCountry(v, 'country', request.country);
    v.throwIfAny();
    if (type === undefined) throw new Error('unreachable: type was validated');

    const now = this.#clock.now();
    const laws = request.country === '' ? [] : (await this.#laws.list(request.country)).map(lawValues);
    const deadline = dsrDeadline(now, laws, this.#config.dsr.defaultDeadlineDays);
    const participants = participantsFor(type, this.#config.dsr.participants);
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const dsr = await this.#dsrs.insert(
          {
            id: uuidv7(),
            account_id: request.accountId,
            type,
            // Fulfilled through events: the services start at once, so it is in progress from filing.
            status: participants.length > 0 ? 'IN_PROGRESS' : 'RECEIVED',
            details: request.details,
            country: request.country,
            deadline_at: deadline.deadlineAt,
            deadline_days: deadline.days,
            laws: deadline.laws,
            escalation: escalationLevel(deadline.deadlineAt, now),
            participants,
            resolution: '',
            filed_by: accountOf(caller) ?? null,
            created_at: now,
            updated_at: now,
          },
          tx,
        );
        await appendEvents(tx, [
          LegalEvents.dsr('filed', dsr),
          ...(participants.length > 0 ? [LegalEvents.fulfilmentRequested(dsr)] : []),
          this.#audit('dsr.file', caller, dsr, now, {
            deadline_days: String(deadline.days),
            laws: deadline.laws.join(','),
          }),
        ]);
        return { dsr: toDsr(dsr, []) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'dsrs_one_open')) {
        throw new DomainError(
          'CONFLICT',
          'DSR_ALREADY_OPEN',
          `A ${type.toLowerCase()} request for this account is already open`,
        );
      }
      throw error;
    }
  }

  async get(caller: Caller, request: GetDsrRequest): Promise<MessageInitShape<typeof GetDsrResponseSchema>> {
    const dsr = await this.#visible(caller, request.dsrId);
    return { dsr: toDsr(dsr, await this.#dsrs.partsOf([dsr.id])) };
  }

  async list(
    caller: Caller,
    request: ListDsrsRequest,
  ): Promise<MessageInitShape<typeof ListDsrsResponseSchema>> {
    const status = dsrStatusFromProto(request.status);
    const v = new Violations();
    if (request.accountId !== '') checkId(v, 'account_id', request.accountId);
    v.check(
      request.status === DsrStatus.UNSPECIFIED || status !== undefined,
      'status',
      'is not a DSR status',
    );
    const beforeId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    // Listing every account's requests, or another account's, is the DSR desk's work.
    if (request.accountId !== accountOf(caller)) requireDsrDesk(caller);
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#dsrs.list({
      limit: limit + 1,
      ...(request.accountId === '' ? {} : { accountId: request.accountId }),
      ...(status === undefined ? {} : { status }),
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    const { page, next } = pageOf(rows, limit);
    const parts = await this.#dsrs.partsOf(page.map((dsr) => dsr.id));
    return { dsrs: page.map((dsr) => toDsr(dsr, parts)), page: { nextPageToken: next } };
  }

  async updateStatus(
    caller: Caller,
    request: UpdateDsrStatusRequest,
  ): Promise<MessageInitShape<typeof UpdateDsrStatusResponseSchema>> {
    const status = dsrStatusFromProto(request.status);
    const v = new Violations();
    checkId(v, 'dsr_id', request.dsrId);
    v.check(
      status === 'IN_PROGRESS' || status === 'COMPLETED' || status === 'REJECTED',
      'status',
      'must be DSR_STATUS_IN_PROGRESS, DSR_STATUS_COMPLETED or DSR_STATUS_REJECTED',
    );
    v.check(
      request.resolution.length <= MAX_RESOLUTION,
      'resolution',
      `must be at most ${MAX_RESOLUTION} characters`,
    );
    if (status === 'REJECTED')
      v.check(request.resolution.trim() !== '', 'resolution', 'must say why the request is rejected');
    v.throwIfAny();
    if (status === undefined) throw new Error('unreachable: status was validated');
    return this.#db.transaction().execute(async (tx) => {
      const dsr = await this.#dsrs.findByIdForUpdate(request.dsrId, tx);
      if (dsr === undefined) throw dsrNotFound();
      const byEvents = dsr.participants.length > 0;
      assertThat(
        statusChangeAllowed(dsr.status, status, byEvents),
        'FAILED_PRECONDITION',
        'DSR_STATUS_CHANGE_NOT_ALLOWED',
        byEvents && status === 'COMPLETED'
          ? 'This request completes when every participating service has answered'
          : `A request cannot go from ${dsr.status} to ${status}`,
      );
      const now = this.#clock.now();
      const updated = await this.#dsrs.update(
        dsr.id,
        {
          status,
          updated_at: now,
          ...(request.resolution === '' ? {} : { resolution: request.resolution }),
          ...(status === 'COMPLETED' || status === 'REJECTED' ? { completed_at: now } : {}),
        },
        tx,
      );
      const parts = await this.#dsrs.partsOf([dsr.id], tx);
      await appendEvents(tx, [
        LegalEvents.dsr('status_changed', updated, parts),
        this.#audit('dsr.status_change', caller, updated, now, { from: dsr.status, to: status }),
      ]);
      return { dsr: toDsr(updated, parts) };
    });
  }

  async export(
    caller: Caller,
    request: GetDsrExportRequest,
  ): Promise<MessageInitShape<typeof GetDsrExportResponseSchema>> {
    const dsr = await this.#visible(caller, request.dsrId);
    assertThat(
      EXPORT_TYPES.includes(dsr.type) &&
        dsr.status === 'COMPLETED' &&
        dsr.export_ready &&
        dsr.completed_at !== null,
      'FAILED_PRECONDITION',
      'EXPORT_NOT_READY',
      EXPORT_TYPES.includes(dsr.type)
        ? 'The export is assembled once every participating service has answered'
        : `A ${dsr.type.toLowerCase()} request has no export`,
    );
    return {
      dsrId: dsr.id,
      exportJson: JSON.stringify(await this.#dsrs.exportOf(dsr.id)),
      completedAt: timestampFromDate(dsr.completed_at),
    };
  }

  /** The request, if the caller may see it: its own account, or dsr:manage. */
  async #visible(caller: Caller, dsrId: string): Promise<DsrSummaryRow> {
    requireIds({ dsr_id: dsrId });
    const dsr = await this.#dsrs.findById(dsrId);
    if (dsr === undefined) throw dsrNotFound();
    if (dsr.account_id !== accountOf(caller)) requireDsrDesk(caller);
    return dsr;
  }

  #audit(action: string, caller: Caller, dsr: DsrSummaryRow, now: Date, metadata: Record<string, string>) {
    return auditEvent({
      action,
      actorId: accountOf(caller) ?? '',
      targetType: 'dsr',
      targetId: dsr.id,
      result: 'SUCCESS',
      now,
      metadata: { account_id: dsr.account_id, type: dsr.type, ...metadata },
    });
  }
}
