import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  ApplyRetentionRequest,
  ApplyRetentionResponseSchema,
  GetRetentionPolicyResponseSchema,
} from '@girok/contracts/audit/v1/audit';
import { assertThat, toDomainError } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import type { ResiliencePolicy } from '@girok/kit/resilience';
import { type Caller, holds } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { AuditConfig } from '../config.ts';
import type { AuditStore } from '../repositories/audit-store.ts';
import { AUDIT_STORE, CLOCK, type Clock, CONFIG, LOGGER, STORE_POLICY } from '../tokens.ts';
import { CATEGORY_NAMES, type CategoryName, categoryToProto, isCategoryName } from './audit-category.ts';
import {
  formatMonth,
  partitionsPastPolicy,
  type RetentionPolicy,
  type StoredPartition,
} from './retention-policy.ts';

/**
 * Dropping partitions: the policy itself runs on a timer; asking for it by hand needs this (a dry
 * run needs only the audit:read that ApplyRetention declares).
 */
export const AUDIT_MANAGE = 'audit:manage';

const DESCRIPTIONS: Record<CategoryName, string> = {
  access: 'Logins, sessions, MFA, devices, tokens and account security changes',
  consent: 'Consents, legal documents accepted and data subject requests',
  admin: 'Roles, sanctions, operator assignments, signing keys, legal documents and laws',
  other: 'Every other audited action',
};

export function retentionPolicyOf(config: AuditConfig): RetentionPolicy {
  const r = config.retention;
  return { access: r.accessMonths, consent: r.consentMonths, admin: r.adminMonths, other: r.otherMonths };
}

/**
 * Retention by partition: each (category, month) partition is dropped whole once the entire month
 * is older than the category's period. Dropping is a metadata operation in ClickHouse (no row is
 * rewritten), so replicas may run it at the same time: dropping a partition that is gone already
 * does nothing.
 */
@Injectable()
export class RetentionService {
  readonly #store: AuditStore;
  readonly #policy: ResiliencePolicy;
  readonly #retention: RetentionPolicy;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    @Inject(AUDIT_STORE) store: AuditStore,
    @Inject(STORE_POLICY) policy: ResiliencePolicy,
    @Inject(CONFIG) config: AuditConfig,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#store = store;
    this.#policy = policy;
    this.#retention = retentionPolicyOf(config);
    this.#clock = clock;
    this.#logger = logger.child({ component: 'retention' });
  }

  get policy(): RetentionPolicy {
    return this.#retention;
  }

  getPolicy(): MessageInitShape<typeof GetRetentionPolicyResponseSchema> {
    return {
      rules: CATEGORY_NAMES.map((category) => ({
        category: categoryToProto(category),
        retentionMonths: this.#retention[category],
        description: DESCRIPTIONS[category],
      })),
    };
  }

  async applyRetention(
    caller: Caller,
    request: ApplyRetentionRequest,
    signal?: AbortSignal,
  ): Promise<MessageInitShape<typeof ApplyRetentionResponseSchema>> {
    assertThat(
      request.dryRun || holds(caller, AUDIT_MANAGE),
      'PERMISSION_DENIED',
      'PERMISSION_DENIED',
      `Dropping partitions needs the ${AUDIT_MANAGE} permission`,
    );
    const dropped = await this.apply(request.dryRun, signal);
    return {
      dryRun: request.dryRun,
      dropped: dropped.map((p) => ({
        category: categoryToProto(isCategoryName(p.category) ? p.category : 'other'),
        month: formatMonth(p.month),
        rows: BigInt(p.rows),
      })),
    };
  }

  /** Drops (or with `dryRun` lists) the partitions past the policy now; the timer calls this too. */
  async apply(dryRun: boolean, signal?: AbortSignal): Promise<StoredPartition[]> {
    try {
      const partitions = await this.#policy.execute((attempt) => this.#store.partitions(attempt), signal);
      const expired = partitionsPastPolicy(partitions, this.#retention, this.#clock.now());
      if (dryRun) return expired;
      for (const partition of expired) {
        await this.#policy.execute((attempt) => this.#store.dropPartition(partition, attempt), signal);
        this.#logger.info(
          { category: partition.category, month: formatMonth(partition.month), rows: partition.rows },
          'dropped an audit partition past its retention',
        );
      }
      return expired;
    } catch (error) {
      throw toDomainError(error);
    }
  }
}
