import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CheckPermissionRequest,
  CheckPermissionResponseSchema,
  CheckPermissionsRequest,
  CheckPermissionsResponseSchema,
  PermissionQuery,
} from '@girok/contracts/auth/v1/auth';
import { Violations } from '@girok/kit/errors';
import { Inject, Injectable } from '@nestjs/common';
import { AccessRepository } from '../repositories/access.repository.ts';
import { CLOCK, type Clock } from '../tokens.ts';
import { type Decision, decide } from './access-decision.ts';
import { isConcretePermission } from './permission-rules.ts';
import { checkCountry, checkId, checkService } from './validation.ts';

const MAX_QUERIES = 100;

function checkQuery(v: Violations, field: string, query: PermissionQuery): void {
  v.check(
    isConcretePermission(query.permission),
    `${field}.permission`,
    'must be resource:action in lower snake case (no wildcard)',
  );
  if (query.service !== '') checkService(v, `${field}.service`, query.service);
  if (query.country !== '') checkCountry(v, `${field}.country`, query.country);
}

/**
 * CheckPermission / CheckPermissions: what an account may do now, with the reason. However many
 * permissions are asked about, the account's access is read once (one SQL statement).
 */
@Injectable()
export class PermissionCheckService {
  readonly #access: AccessRepository;
  readonly #clock: Clock;

  constructor(@Inject(AccessRepository) access: AccessRepository, @Inject(CLOCK) clock: Clock) {
    this.#access = access;
    this.#clock = clock;
  }

  async check(
    request: CheckPermissionRequest,
  ): Promise<MessageInitShape<typeof CheckPermissionResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    if (request.query === undefined) v.add('query', 'is required');
    else checkQuery(v, 'query', request.query);
    v.throwIfAny();
    const [decision] = await this.#decide(request.accountId, request.query ? [request.query] : []);
    return { decision };
  }

  async checkMany(
    request: CheckPermissionsRequest,
  ): Promise<MessageInitShape<typeof CheckPermissionsResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    v.check(
      request.queries.length >= 1 && request.queries.length <= MAX_QUERIES,
      'queries',
      `must hold 1 to ${MAX_QUERIES} queries`,
    );
    for (const [index, query] of request.queries.slice(0, MAX_QUERIES).entries()) {
      checkQuery(v, `queries[${index}]`, query);
    }
    v.throwIfAny();
    return { decisions: await this.#decide(request.accountId, request.queries) };
  }

  async #decide(accountId: string, queries: readonly PermissionQuery[]): Promise<Decision[]> {
    const snapshot = await this.#access.snapshot(accountId, this.#clock.now());
    return queries.map((query) => decide(snapshot, query));
  }
}
