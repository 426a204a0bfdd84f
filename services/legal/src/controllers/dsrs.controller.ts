import {
  type FileDsrRequest,
  type GetDsrExportRequest,
  type GetDsrRequest,
  LegalService,
  type ListDsrsRequest,
  type UpdateDsrStatusRequest,
} from '@girok/contracts/legal/v1/legal';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Headers, Inject } from '@nestjs/common';
import { Authenticator, Permission } from '../services/authenticator.ts';
import { DsrService } from '../services/dsr.service.ts';

const rpc = LegalService.method;

@Controller('v1')
export class DsrsController {
  readonly #auth: Authenticator;
  readonly #dsrs: DsrService;

  constructor(@Inject(Authenticator) auth: Authenticator, @Inject(DsrService) dsrs: DsrService) {
    this.#auth = auth;
    this.#dsrs = dsrs;
  }

  @RestRpc('POST', 'accounts/:accountId/dsrs', rpc.fileDsr, {
    status: 201,
    summary: 'File a data-subject request (deadline from the strictest law)',
  })
  async file(@Headers('authorization') token: string | undefined, @RpcRequest() request: FileDsrRequest) {
    return this.#dsrs.file(await this.#auth.selfOr(token, request.accountId, Permission.dsrs), request);
  }

  @RestRpc('GET', 'dsrs', rpc.listDsrs, {
    summary: 'List requests, newest first (own, or any with dsr:manage)',
  })
  async list(@Headers('authorization') token: string | undefined, @RpcRequest() request: ListDsrsRequest) {
    return this.#dsrs.list(await this.#auth.caller(token), request);
  }

  @RestRpc('GET', 'dsrs/:dsrId', rpc.getDsr, { summary: 'Get a request with its participants’ answers' })
  async get(@Headers('authorization') token: string | undefined, @RpcRequest() request: GetDsrRequest) {
    return this.#dsrs.get(await this.#auth.caller(token), request);
  }

  @RestRpc('POST', 'dsrs/:dsrId/status', rpc.updateDsrStatus, { summary: 'Move a request on (dsr:manage)' })
  async updateStatus(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: UpdateDsrStatusRequest,
  ) {
    return this.#dsrs.updateStatus(await this.#auth.require(token, Permission.dsrs), request);
  }

  @RestRpc('GET', 'dsrs/:dsrId/export', rpc.getDsrExport, {
    summary: 'The assembled export of a completed access or portability request',
  })
  async export(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: GetDsrExportRequest,
  ) {
    return this.#dsrs.export(await this.#auth.caller(token), request);
  }
}
