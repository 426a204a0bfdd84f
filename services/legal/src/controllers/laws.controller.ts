import {
  type GetLawRequest,
  LegalService,
  type ListLawsRequest,
  type UpdateLawRequest,
} from '@girok/contracts/legal/v1/legal';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Headers, Inject } from '@nestjs/common';
import { Authenticator, Permission } from '../services/authenticator.ts';
import { LawService } from '../services/law.service.ts';

const rpc = LegalService.method;

@Controller('v1/laws')
export class LawsController {
  readonly #auth: Authenticator;
  readonly #laws: LawService;

  constructor(@Inject(Authenticator) auth: Authenticator, @Inject(LawService) laws: LawService) {
    this.#auth = auth;
    this.#laws = laws;
  }

  @RestRpc('GET', '', rpc.listLaws, { summary: 'The law registry (optionally for one country)' })
  async list(@Headers('authorization') token: string | undefined, @RpcRequest() request: ListLawsRequest) {
    await this.#auth.caller(token);
    return this.#laws.list(request);
  }

  @RestRpc('GET', ':code', rpc.getLaw, { summary: 'Get a law' })
  async get(@Headers('authorization') token: string | undefined, @RpcRequest() request: GetLawRequest) {
    await this.#auth.caller(token);
    return this.#laws.get(request);
  }

  @RestRpc('PATCH', ':code', rpc.updateLaw, { summary: "Change a law's rules (validated as a whole)" })
  async update(@Headers('authorization') token: string | undefined, @RpcRequest() request: UpdateLawRequest) {
    return this.#laws.update(await this.#auth.require(token, Permission.laws), request);
  }
}
