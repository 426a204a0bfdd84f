import type { DsrErasureResult, DsrRequest } from '@girok/kit/dsr';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Executor } from '../repositories/executor.ts';
import { OperatorAssignmentRepository } from '../repositories/operator-assignment.repository.ts';
import { RoleAssignmentRepository } from '../repositories/role-assignment.repository.ts';
import { SanctionRepository } from '../repositories/sanction.repository.ts';
import { CLOCK, type Clock } from '../tokens.ts';
import { AuthEvents, auditEvent } from './auth-events.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * Why sanctions survive an erasure. They are kept, not anonymised: a sanction without its account
 * id no longer does its job, and the account id is by then only identity-service's tombstone id.
 */
function sanctionsRetained(count: number): string {
  return (
    `Role and operator assignments erased. ${count} sanction(s) retained (type, dates, stated reason, ` +
    'restricted features) under GDPR Art. 17(3)(e) and Art. 6(1)(f): the record of enforcement ' +
    'against fraud and abuse is kept to establish and defend legal claims and to stop a sanctioned ' +
    'person from returning unnoticed; it holds no contact data.'
  );
}

/**
 * auth-service's part in data-subject requests (`@girok/kit/dsr`). Erasure deletes the account's
 * role and operator assignments (their history too) and keeps its sanctions (RETAINED, see
 * `sanctionsRetained`); where this account acted on others (`granted_by`, `issued_by`) its
 * tombstone id stays, part of those accounts' records. Access and portability export the three.
 */
@Injectable()
export class DataSubjectService {
  readonly #roles: RoleAssignmentRepository;
  readonly #operators: OperatorAssignmentRepository;
  readonly #sanctions: SanctionRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(RoleAssignmentRepository) roles: RoleAssignmentRepository,
    @Inject(OperatorAssignmentRepository) operators: OperatorAssignmentRepository,
    @Inject(SanctionRepository) sanctions: SanctionRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#roles = roles;
    this.#operators = operators;
    this.#sanctions = sanctions;
    this.#clock = clock;
  }

  async erase(tx: Executor, accountId: string, request: DsrRequest): Promise<DsrErasureResult> {
    const now = this.#clock.now();
    const roles = await this.#roles.listByAccount(accountId, tx);
    const operators = await this.#operators.listByAccount(accountId, tx);
    const sanctions = await this.#sanctions.listByAccount(accountId, tx);
    if (roles.length + operators.length + sanctions.length === 0) return { outcome: 'NOTHING_HELD' };

    await this.#roles.deleteByAccount(accountId, tx);
    await this.#operators.deleteByAccount(accountId, tx);
    // Grants still live end now: their consumers see them revoked, as on a RevokeRole.
    await appendEvents(tx, [
      ...roles
        .filter((row) => row.revoked_at === null)
        .map((row) => AuthEvents.roleAssignment('revoked', { ...row, revoked_at: now })),
      ...operators
        .filter((row) => row.revoked_at === null)
        .map((row) => AuthEvents.operatorAssignment('revoked', { ...row, revoked_at: now })),
      auditEvent({
        action: 'account.erase',
        targetType: 'account',
        targetId: accountId,
        result: 'SUCCESS',
        now,
        metadata: {
          dsr_request_id: request.requestId,
          role_assignments: String(roles.length),
          operator_assignments: String(operators.length),
          sanctions_retained: String(sanctions.length),
        },
      }),
    ]);
    return sanctions.length === 0
      ? { outcome: 'ERASED' }
      : { outcome: 'RETAINED', note: sanctionsRetained(sanctions.length) };
  }

  /**
   * The account's grants and sanctions, history included. Who granted or issued them is left out:
   * those are other people's account ids.
   */
  async export(tx: Executor, accountId: string) {
    const roles = await this.#roles.listByAccount(accountId, tx);
    const operators = await this.#operators.listByAccount(accountId, tx);
    const sanctions = await this.#sanctions.listByAccount(accountId, tx);
    return {
      roleAssignments: roles.map((row) => ({
        id: row.id,
        roleId: row.role_id,
        role: row.role_name,
        service: row.service,
        createdAt: iso(row.created_at),
        expiresAt: iso(row.expires_at),
        revokedAt: iso(row.revoked_at),
      })),
      operatorAssignments: operators.map((row) => ({
        id: row.id,
        service: row.service,
        country: row.country,
        permissions: row.permissions,
        createdAt: iso(row.created_at),
        revokedAt: iso(row.revoked_at),
      })),
      sanctions: sanctions.map((row) => ({
        id: row.id,
        type: row.type,
        reason: row.reason,
        features: row.features,
        startsAt: iso(row.starts_at),
        endsAt: iso(row.ends_at),
        createdAt: iso(row.created_at),
        revokedAt: iso(row.revoked_at),
        revokeReason: row.revoke_reason,
      })),
    };
  }
}
