import {
  type CheckConsentsRequest,
  type GetConsentHistoryRequest,
  type GrantConsentRequest,
  LegalService,
  type ListConsentsRequest,
  type WithdrawConsentRequest,
} from '@girok/contracts/legal/v1/legal';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Headers, Inject } from '@nestjs/common';
import { Authenticator, Permission } from '../services/authenticator.ts';
import { ConsentService } from '../services/consent.service.ts';

const rpc = LegalService.method;

@Controller('v1/accounts/:accountId')
export class ConsentsController {
  readonly #auth: Authenticator;
  readonly #consents: ConsentService;

  constructor(@Inject(Authenticator) auth: Authenticator, @Inject(ConsentService) consents: ConsentService) {
    this.#auth = auth;
    this.#consents = consents;
  }

  @RestRpc('POST', 'consents', rpc.grantConsent, { status: 201, summary: 'Accept a document in force' })
  async grant(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: GrantConsentRequest,
  ) {
    return this.#consents.grant(await this.#auth.self(token, request.accountId), request);
  }

  @RestRpc('POST', 'consents/:documentType/withdraw', rpc.withdrawConsent, {
    summary: 'Withdraw a consent (refused while the type is required in the country)',
  })
  async withdraw(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: WithdrawConsentRequest,
  ) {
    return this.#consents.withdraw(await this.#auth.self(token, request.accountId), request);
  }

  @RestRpc('GET', 'consents', rpc.listConsents, { summary: "The account's current consents" })
  async list(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: ListConsentsRequest,
  ) {
    await this.#auth.selfOr(token, request.accountId, Permission.accounts);
    return this.#consents.list(request);
  }

  @RestRpc('GET', 'consent-history', rpc.getConsentHistory, {
    summary: 'Every grant and withdrawal, oldest first',
  })
  async history(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: GetConsentHistoryRequest,
  ) {
    await this.#auth.selfOr(token, request.accountId, Permission.accounts);
    return this.#consents.history(request);
  }

  @RestRpc('GET', 'consent-check', rpc.checkConsents, { summary: 'What the account must still accept' })
  async check(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: CheckConsentsRequest,
  ) {
    await this.#auth.selfOr(token, request.accountId, Permission.accounts);
    return this.#consents.check(request);
  }
}
