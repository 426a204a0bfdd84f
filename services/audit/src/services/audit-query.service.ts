import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type {
  GetAccountTrailRequest,
  ListAdminActionsRequest,
  ListLoginHistoryRequest,
} from '@girok/contracts/audit/v1/audit';
import type { AuditEventSchema, PageRequest } from '@girok/contracts/common/v1/common';
import { Violations } from '@girok/kit/errors';
import { isUuid } from '@girok/kit/ids';
import type { ResiliencePolicy } from '@girok/kit/resilience';
import { Inject, Injectable } from '@nestjs/common';
import { type StoredAuditRow, toAuditEvent } from '../dtos/audit.dto.ts';
import type { AuditFilter, AuditStore } from '../repositories/audit-store.ts';
import { AUDIT_STORE, STORE_POLICY } from '../tokens.ts';
import { decodePageToken, encodePageToken, pageSize } from './page-token.ts';

/** The shape the three query responses share (events, page, degraded). */
export interface PageResponse {
  readonly events: MessageInitShape<typeof AuditEventSchema>[];
  readonly page: { readonly nextPageToken: string };
  readonly degraded: boolean;
}

// ClickHouse DateTime ends in 2106; the range is checked so the bound SQL stays in range too.
const MAX_TIME_MS = 4_294_967_295_000;

/**
 * The audit queries. Each runs through the store's policy with a fallback: while the store
 * (ClickHouse) is unreachable (circuit open, or the attempt failed) the answer is an empty page
 * marked degraded, at once, instead of an error or a wait on timeouts.
 */
@Injectable()
export class AuditQueryService {
  readonly #store: AuditStore;
  readonly #policy: ResiliencePolicy;

  constructor(@Inject(AUDIT_STORE) store: AuditStore, @Inject(STORE_POLICY) policy: ResiliencePolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  async listLoginHistory(request: ListLoginHistoryRequest, signal?: AbortSignal): Promise<PageResponse> {
    const v = new Violations();
    v.check(isUuid(request.accountId), 'account_id', 'must be a UUID');
    v.throwIfAny();
    return this.#page({ kind: 'login', accountId: request.accountId }, request, signal);
  }

  async listAdminActions(request: ListAdminActionsRequest, signal?: AbortSignal): Promise<PageResponse> {
    const v = new Violations();
    if (request.actorId !== '') v.check(isUuid(request.actorId), 'actor_id', 'must be a UUID or empty');
    v.throwIfAny();
    const filter: AuditFilter =
      request.actorId === '' ? { kind: 'admin' } : { kind: 'admin', actorId: request.actorId };
    return this.#page(filter, request, signal);
  }

  async getAccountTrail(request: GetAccountTrailRequest, signal?: AbortSignal): Promise<PageResponse> {
    const v = new Violations();
    v.check(isUuid(request.accountId), 'account_id', 'must be a UUID');
    v.throwIfAny();
    return this.#page({ kind: 'trail', accountId: request.accountId }, request, signal);
  }

  async #page(
    filter: AuditFilter,
    request: { page?: PageRequest | undefined; from?: Timestamp | undefined; to?: Timestamp | undefined },
    signal: AbortSignal | undefined,
  ): Promise<PageResponse> {
    const v = new Violations();
    const fromMs = timeField(v, 'from', request.from);
    const toMs = timeField(v, 'to', request.to);
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) v.add('to', 'must be after from');
    const limit = pageSize(request.page?.pageSize);
    // The token is bound to the filters: the same query, the next page, never another query's.
    const scope = JSON.stringify([filter, fromMs ?? null, toMs ?? null]);
    const after = decodePageToken(request.page?.pageToken ?? '', scope, v);
    v.throwIfAny();
    const { value: rows, degraded } = await this.#policy.executeWithFallback(
      (attempt) =>
        this.#store.find(
          {
            filter,
            limit: limit + 1,
            ...(fromMs === undefined ? {} : { fromMs }),
            ...(toMs === undefined ? {} : { toMs }),
            ...(after === undefined ? {} : { after }),
          },
          attempt,
        ),
      (): StoredAuditRow[] => [],
      signal,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map(toAuditEvent),
      page: {
        nextPageToken:
          rows.length > limit && last !== undefined
            ? encodePageToken({ occurredAtMs: Number(last.occurred_at_ms), id: last.id }, scope)
            : '',
      },
      degraded,
    };
  }
}

function timeField(v: Violations, field: string, value: Timestamp | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = timestampMs(value);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
    v.add(field, 'must be a timestamp between 1970 and 2106');
    return undefined;
  }
  return ms;
}
