import { Inject } from '@nestjs/common';
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { AdminAuditService } from '../services/admin-audit.service.ts';
import type { Caller } from '../services/browser-session.service.ts';
import { Authenticated, CurrentCaller } from '../web/guards.ts';
import { AuditPageView } from './legal.types.ts';

/** The audit trail for admins (audit-service checks audit:read on the admin's token). */
@Resolver()
export class AdminResolver {
  readonly #audit: AdminAuditService;

  constructor(@Inject(AdminAuditService) audit: AdminAuditService) {
    this.#audit = audit;
  }

  @Query(() => AuditPageView, {
    description: 'An account’s logins, newest first (your own, or anyone’s with audit:read)',
  })
  @Authenticated()
  async loginHistory(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('pageToken', { type: () => String, defaultValue: '' }) pageToken: string,
    @CurrentCaller() caller: Caller,
  ): Promise<AuditPageView> {
    return AuditPageView.of(await this.#audit.loginHistory(caller, accountId, pageToken));
  }

  @Query(() => AuditPageView, { description: 'Administrative actions, newest first (audit:read)' })
  @Authenticated()
  async adminActions(
    @Args('actorId', { type: () => ID, defaultValue: '' }) actorId: string,
    @Args('pageToken', { type: () => String, defaultValue: '' }) pageToken: string,
    @CurrentCaller() caller: Caller,
  ): Promise<AuditPageView> {
    return AuditPageView.of(await this.#audit.adminActions(caller, actorId, pageToken));
  }

  @Query(() => AuditPageView, { description: 'Everything an account did or had done to it (audit:read)' })
  @Authenticated()
  async accountTrail(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('pageToken', { type: () => String, defaultValue: '' }) pageToken: string,
    @CurrentCaller() caller: Caller,
  ): Promise<AuditPageView> {
    return AuditPageView.of(await this.#audit.accountTrail(caller, accountId, pageToken));
  }
}
