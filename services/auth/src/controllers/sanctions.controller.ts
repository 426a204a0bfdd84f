import {
  AuthService,
  type CreateSanctionRequest,
  type ListSanctionsRequest,
  type RevokeSanctionRequest,
} from '@girok/contracts/auth/v1/auth';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { SanctionService } from '../services/sanction.service.ts';

const rpc = AuthService.method;

@Controller('v1')
export class SanctionsController {
  readonly #sanctions: SanctionService;

  constructor(@Inject(SanctionService) sanctions: SanctionService) {
    this.#sanctions = sanctions;
  }

  @RestRpc('POST', 'sanctions', rpc.createSanction, {
    status: 201,
    summary: 'Warn, ban or restrict an account (a ban ends its sessions)',
  })
  create(@RpcRequest() request: CreateSanctionRequest) {
    return this.#sanctions.create(request);
  }

  @RestRpc('GET', 'accounts/:accountId/sanctions', rpc.listSanctions, {
    summary: "List an account's sanctions",
  })
  list(@RpcRequest() request: ListSanctionsRequest) {
    return this.#sanctions.list(request);
  }

  @RestRpc('POST', 'sanctions/:sanctionId/revoke', rpc.revokeSanction, { summary: 'Lift a sanction' })
  revoke(@RpcRequest() request: RevokeSanctionRequest) {
    return this.#sanctions.revoke(request);
  }
}
