import type { AuditEvent } from '@girok/contracts/common/v1/common';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT, type AuditClient } from '../tokens.ts';
import type { Caller } from './browser-session.service.ts';
import { bearer } from './legal-flows.service.ts';

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly nextPageToken: string;
  /** The safe default (an empty page) because the audit store is unavailable. */
  readonly degraded: boolean;
}

/**
 * The audit trail for admins (audit-service decides: audit:read, or a user's own login history),
 * with the admin's own token.
 */
@Injectable()
export class AdminAuditService {
  readonly #audit: AuditClient;

  constructor(@Inject(AUDIT) audit: AuditClient) {
    this.#audit = audit;
  }

  async loginHistory(caller: Caller, accountId: string, pageToken: string): Promise<AuditPage> {
    const r = await this.#audit.listLoginHistory(
      { accountId, page: { pageSize: 50, pageToken } },
      { metadata: bearer(caller) },
    );
    return { events: r.events, nextPageToken: r.page?.nextPageToken ?? '', degraded: r.degraded };
  }

  async adminActions(caller: Caller, actorId: string, pageToken: string): Promise<AuditPage> {
    const r = await this.#audit.listAdminActions(
      { actorId, page: { pageSize: 50, pageToken } },
      { metadata: bearer(caller) },
    );
    return { events: r.events, nextPageToken: r.page?.nextPageToken ?? '', degraded: r.degraded };
  }

  async accountTrail(caller: Caller, accountId: string, pageToken: string): Promise<AuditPage> {
    const r = await this.#audit.getAccountTrail(
      { accountId, page: { pageSize: 50, pageToken } },
      { metadata: bearer(caller) },
    );
    return { events: r.events, nextPageToken: r.page?.nextPageToken ?? '', degraded: r.degraded };
  }
}
