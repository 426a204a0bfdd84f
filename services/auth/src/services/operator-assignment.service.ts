import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CreateOperatorAssignmentRequest,
  CreateOperatorAssignmentResponseSchema,
  ListOperatorAssignmentsRequest,
  ListOperatorAssignmentsResponseSchema,
  RevokeOperatorAssignmentRequest,
  RevokeOperatorAssignmentResponseSchema,
} from '@girok/contracts/auth/v1/auth';
import { assertThat, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { toOperatorAssignment } from '../dtos/auth.dto.ts';
import {
  OperatorAssignmentRepository,
  type OperatorAssignmentRow,
} from '../repositories/operator-assignment.repository.ts';
import { RoleRepository } from '../repositories/role.repository.ts';
import type { AuthDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { AuthEvents, auditEvent } from './auth-events.ts';
import { checkPermissionList } from './permission-rules.ts';
import {
  afterIdFrom,
  checkCountry,
  checkId,
  checkOptionalId,
  checkService,
  pageSize,
  pageToken,
  requireIds,
} from './validation.ts';

/** Operators: permission sets granted per service and per country, revoked softly. */
@Injectable()
export class OperatorAssignmentService {
  readonly #db: Kysely<AuthDatabase>;
  readonly #assignments: OperatorAssignmentRepository;
  readonly #roles: RoleRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<AuthDatabase>,
    @Inject(OperatorAssignmentRepository) assignments: OperatorAssignmentRepository,
    @Inject(RoleRepository) roles: RoleRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#assignments = assignments;
    this.#roles = roles;
    this.#clock = clock;
  }

  async create(
    request: CreateOperatorAssignmentRequest,
  ): Promise<MessageInitShape<typeof CreateOperatorAssignmentResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    checkService(v, 'service', request.service);
    checkCountry(v, 'country', request.country);
    const permissions = checkPermissionList(v, 'permissions', request.permissions, {
      catalogue: await this.#roles.catalogue(),
      min: 1,
      max: 100,
    });
    checkOptionalId(v, 'actor_id', request.actorId);
    v.throwIfAny();
    return this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const assignment = await this.#assignments.insert(
        {
          id: uuidv7(),
          account_id: request.accountId,
          service: request.service,
          country: request.country,
          permissions,
          granted_by: request.actorId || null,
          created_at: now,
        },
        tx,
      );
      await appendEvents(tx, [
        AuthEvents.operatorAssignment('granted', assignment),
        this.#audit('operator_assignment.grant', assignment, request.actorId, now),
      ]);
      return { assignment: toOperatorAssignment(assignment) };
    });
  }

  async list(
    request: ListOperatorAssignmentsRequest,
  ): Promise<MessageInitShape<typeof ListOperatorAssignmentsResponseSchema>> {
    const v = new Violations();
    if (request.accountId !== '') checkId(v, 'account_id', request.accountId);
    if (request.service !== '') checkService(v, 'service', request.service);
    if (request.country !== '') checkCountry(v, 'country', request.country);
    const afterId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#assignments.list({
      includeRevoked: request.includeRevoked,
      limit: limit + 1,
      ...(request.accountId === '' ? {} : { accountId: request.accountId }),
      ...(request.service === '' ? {} : { service: request.service }),
      ...(request.country === '' ? {} : { country: request.country }),
      ...(afterId === undefined ? {} : { afterId }),
    });
    const page = rows.slice(0, limit);
    return {
      assignments: page.map(toOperatorAssignment),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  async revoke(
    request: RevokeOperatorAssignmentRequest,
  ): Promise<MessageInitShape<typeof RevokeOperatorAssignmentResponseSchema>> {
    requireIds({ assignment_id: request.assignmentId }, { actor_id: request.actorId });
    const existing = await this.#assignments.findById(request.assignmentId);
    assertThat(existing, 'NOT_FOUND', 'OPERATOR_ASSIGNMENT_NOT_FOUND', 'No such operator assignment');
    if (existing.revoked_at !== null) return {};
    await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const revoked = await this.#assignments.revoke(existing.id, request.actorId || null, now, tx);
      if (revoked === undefined) return; // revoked meanwhile: one revocation, one event
      await appendEvents(tx, [
        AuthEvents.operatorAssignment('revoked', revoked),
        this.#audit('operator_assignment.revoke', revoked, request.actorId, now),
      ]);
    });
    return {};
  }

  #audit(action: string, assignment: OperatorAssignmentRow, actorId: string, now: Date) {
    return auditEvent({
      action,
      actorId,
      targetType: 'account',
      targetId: assignment.account_id,
      result: 'SUCCESS',
      now,
      metadata: {
        assignment_id: assignment.id,
        service: assignment.service,
        country: assignment.country,
        permissions: assignment.permissions.join(' '),
      },
    });
  }
}
