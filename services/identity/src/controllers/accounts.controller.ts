import {
  type CancelAccountDeletionRequest,
  type ChangePasswordRequest,
  type CreateAccountRequest,
  type DeleteAccountRequest,
  type GetAccountRequest,
  IdentityService,
  type ListAccountsRequest,
  type UpdateAccountRequest,
} from '@girok/contracts/identity/v1/identity';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { AccountService } from '../services/account.service.ts';

const rpc = IdentityService.method;

@Controller('v1/accounts')
export class AccountsController {
  readonly #accounts: AccountService;

  constructor(@Inject(AccountService) accounts: AccountService) {
    this.#accounts = accounts;
  }

  @RestRpc('POST', '', rpc.createAccount, { status: 201, summary: 'Create an account' })
  create(@RpcRequest() request: CreateAccountRequest) {
    return this.#accounts.create(request);
  }

  @RestRpc('GET', '', rpc.listAccounts, { summary: 'List accounts (keyset paged)' })
  list(@RpcRequest() request: ListAccountsRequest) {
    return this.#accounts.list(request);
  }

  @RestRpc('GET', ':accountId', rpc.getAccount, { summary: 'Get an account' })
  get(@RpcRequest() request: GetAccountRequest) {
    return this.#accounts.get(request);
  }

  @RestRpc('PATCH', ':accountId', rpc.updateAccount, { summary: 'Change username, locale or country' })
  update(@RpcRequest() request: UpdateAccountRequest) {
    return this.#accounts.update(request);
  }

  @RestRpc('POST', ':accountId/password', rpc.changePassword, { summary: 'Change the password' })
  changePassword(@RpcRequest() request: ChangePasswordRequest) {
    return this.#accounts.changePassword(request);
  }

  @RestRpc('POST', ':accountId/deletion', rpc.deleteAccount, { summary: 'Delete now or schedule deletion' })
  delete(@RpcRequest() request: DeleteAccountRequest) {
    return this.#accounts.delete(request);
  }

  @RestRpc('DELETE', ':accountId/deletion', rpc.cancelAccountDeletion, {
    summary: 'Cancel a scheduled deletion',
  })
  cancelDeletion(@RpcRequest() request: CancelAccountDeletionRequest) {
    return this.#accounts.cancelDeletion(request);
  }
}
