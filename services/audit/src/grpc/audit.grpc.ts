import { AuditService } from '@girok/contracts/audit/v1/audit';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { AuditQueryService } from '../services/audit-query.service.ts';
import { RetentionService } from '../services/retention.service.ts';

/**
 * `girok.audit.v1.AuditService`: one line per RPC, served by the kit on gRPC and REST alike behind
 * each RPC's access declaration (proto), so a handler only runs for a verified caller.
 */
@Injectable()
export class AuditGrpcHandlers {
  readonly service = AuditService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof AuditService>>;

  constructor(
    @Inject(AuditQueryService) queries: AuditQueryService,
    @Inject(RetentionService) retention: RetentionService,
  ) {
    this.handlers = {
      listLoginHistory: (request, call) => queries.listLoginHistory(request, call.signal),
      listAdminActions: (request, call) => queries.listAdminActions(request, call.signal),
      getAccountTrail: (request, call) => queries.getAccountTrail(request, call.signal),
      applyRetention: (request, call) => retention.applyRetention(call.caller, request, call.signal),
      getRetentionPolicy: async () => retention.getPolicy(),
    };
  }
}
