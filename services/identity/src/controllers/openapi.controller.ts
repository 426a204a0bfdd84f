import { buildOpenApi } from '@girok/kit/http';
import { Controller, Get } from '@nestjs/common';
import { AccountsController } from './accounts.controller.ts';
import { AuthController } from './auth.controller.ts';
import { ProfilesController } from './profiles.controller.ts';
import { SessionsController } from './sessions.controller.ts';

export const REST_CONTROLLERS = [AccountsController, AuthController, SessionsController, ProfilesController];

const document = buildOpenApi(
  {
    title: 'Girok identity-service',
    version: 'v1',
    description:
      'Accounts, credentials, MFA, sessions, devices and profiles. Each route is the JSON face of an ' +
      'IdentityService RPC (girok.identity.v1); errors are RFC 9457 problem+json with a stable code.',
  },
  REST_CONTROLLERS,
);

@Controller()
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}
