import {
  type GetProfileRequest,
  IdentityService,
  type UpdateProfileRequest,
} from '@girok/contracts/identity/v1/identity';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { ProfileService } from '../services/profile.service.ts';

const rpc = IdentityService.method;

@Controller('v1/accounts/:accountId/profile')
export class ProfilesController {
  readonly #profiles: ProfileService;

  constructor(@Inject(ProfileService) profiles: ProfileService) {
    this.#profiles = profiles;
  }

  @RestRpc('GET', '', rpc.getProfile, { summary: 'Get the profile' })
  get(@RpcRequest() request: GetProfileRequest) {
    return this.#profiles.get(request);
  }

  @RestRpc('PATCH', '', rpc.updateProfile, { summary: 'Change profile fields' })
  update(@RpcRequest() request: UpdateProfileRequest) {
    return this.#profiles.update(request);
  }
}
