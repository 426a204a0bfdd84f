import { AuditService } from '@girok/contracts/audit/v1/audit';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { AuditQueryService } from '../services/audit-query.service.ts';
import { CallerService } from '../services/caller.service.ts';
import { RetentionService } from '../services/retention.service.ts';

/** `girok.audit.v1.AuditService` over gRPC: authenticate from the call's metadata, then one call each. */
@Injectable()
export class AuditGrpcHandlers {
  readonly service = AuditService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof AuditService>>;

  constructor(
    @Inject(CallerService) caller: CallerService,
    @Inject(AuditQueryService) queries: AuditQueryService,
    @Inject(RetentionService) retention: RetentionService,
  ) {
    const who = (metadata: { get(key: string): (string | Buffer)[] }) =>
      caller.authenticate(metadata.get('authorization'));
    this.handlers = {
      listLoginHistory: async (request, call) =>
        queries.listLoginHistory(await who(call.metadata), request, call.signal),
      listAdminActions: async (request, call) =>
        queries.listAdminActions(await who(call.metadata), request, call.signal),
      getAccountTrail: async (request, call) =>
        queries.getAccountTrail(await who(call.metadata), request, call.signal),
      applyRetention: async (request, call) =>
        retention.applyRetention(await who(call.metadata), request, call.signal),
      getRetentionPolicy: async (_request, call) => retention.getPolicy(await who(call.metadata)),
    };
  }
}
