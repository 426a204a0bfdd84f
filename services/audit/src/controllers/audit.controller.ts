import {
  type ApplyRetentionRequest,
  AuditService,
  type GetAccountTrailRequest,
  type GetRetentionPolicyRequest,
  type ListAdminActionsRequest,
  type ListLoginHistoryRequest,
} from '@girok/contracts/audit/v1/audit';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Headers, Inject } from '@nestjs/common';
import { AuditQueryService } from '../services/audit-query.service.ts';
import { CallerService } from '../services/caller.service.ts';
import { RetentionService } from '../services/retention.service.ts';

const rpc = AuditService.method;

/** The REST face of AuditService (ADR 0007); every route needs `authorization: Bearer <access token>`. */
@Controller('v1')
export class AuditController {
  readonly #caller: CallerService;
  readonly #queries: AuditQueryService;
  readonly #retention: RetentionService;

  constructor(
    @Inject(CallerService) caller: CallerService,
    @Inject(AuditQueryService) queries: AuditQueryService,
    @Inject(RetentionService) retention: RetentionService,
  ) {
    this.#caller = caller;
    this.#queries = queries;
    this.#retention = retention;
  }

  @RestRpc('GET', 'accounts/:accountId/login-history', rpc.listLoginHistory, {
    summary: "An account's logins, failed logins and lockouts (audit:read, or the account itself)",
  })
  async loginHistory(@Headers('authorization') auth: string, @RpcRequest() request: ListLoginHistoryRequest) {
    return this.#queries.listLoginHistory(await this.#caller.authenticate(auth), request);
  }

  @RestRpc('GET', 'admin-actions', rpc.listAdminActions, {
    summary: 'Administrative actions, optionally of one admin (audit:read)',
  })
  async adminActions(@Headers('authorization') auth: string, @RpcRequest() request: ListAdminActionsRequest) {
    return this.#queries.listAdminActions(await this.#caller.authenticate(auth), request);
  }

  @RestRpc('GET', 'accounts/:accountId/trail', rpc.getAccountTrail, {
    summary: 'Everything an account did or had done to it (audit:read)',
  })
  async trail(@Headers('authorization') auth: string, @RpcRequest() request: GetAccountTrailRequest) {
    return this.#queries.getAccountTrail(await this.#caller.authenticate(auth), request);
  }

  @RestRpc('POST', 'retention/apply', rpc.applyRetention, {
    summary: 'Drop the monthly partitions past the retention policy (audit:manage; dry run: audit:read)',
  })
  async applyRetention(@Headers('authorization') auth: string, @RpcRequest() request: ApplyRetentionRequest) {
    return this.#retention.applyRetention(await this.#caller.authenticate(auth), request);
  }

  @RestRpc('GET', 'retention/policy', rpc.getRetentionPolicy, {
    summary: 'How long each category of audit events is kept (audit:read)',
  })
  async retentionPolicy(
    @Headers('authorization') auth: string,
    @RpcRequest() _request: GetRetentionPolicyRequest,
  ) {
    return this.#retention.getPolicy(await this.#caller.authenticate(auth));
  }
}
