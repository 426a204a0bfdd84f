import { buildOpenApi } from '@girok/kit/http';
import { Controller, Get } from '@nestjs/common';
import { OperatorsController } from './operators.controller.ts';
import { RolesController } from './roles.controller.ts';
import { SanctionsController } from './sanctions.controller.ts';
import { TokensController, WellKnownController } from './tokens.controller.ts';

export const REST_CONTROLLERS = [TokensController, RolesController, OperatorsController, SanctionsController];

const generated = buildOpenApi(
  {
    title: 'Girok auth-service',
    version: 'v1',
    description:
      'Access tokens and their signing keys, roles and permission checks, operator assignments and ' +
      'sanctions. Each /v1 route is the JSON face of an AuthService RPC (girok.auth.v1); errors are ' +
      'RFC 9457 problem+json with a stable code.',
  },
  REST_CONTROLLERS,
);

/** The one route that is not an RPC's face: the standard JWKS location verifiers fetch. */
const document = {
  ...generated,
  paths: {
    ...(generated.paths as Record<string, unknown>),
    '/.well-known/jwks.json': {
      get: {
        operationId: 'wellKnownJwks',
        summary: 'The JSON Web Key Set (RFC 7517) of the token signing keys: active and previous',
        tags: ['AuthService'],
        responses: {
          '200': {
            description: 'OK (Cache-Control: public, max-age=60)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { keys: { type: 'array', items: { type: 'object' } } },
                },
              },
            },
          },
        },
      },
    },
  },
};

@Controller()
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}

export const ROUTE_CONTROLLERS = [...REST_CONTROLLERS, WellKnownController, OpenApiController];
