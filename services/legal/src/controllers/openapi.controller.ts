import { buildOpenApi } from '@girok/kit/http';
import { Controller, Get } from '@nestjs/common';
import { ConsentsController } from './consents.controller.ts';
import { DocumentsController } from './documents.controller.ts';
import { DsrsController } from './dsrs.controller.ts';
import { LawsController } from './laws.controller.ts';

export const REST_CONTROLLERS = [DocumentsController, ConsentsController, LawsController, DsrsController];

const document = buildOpenApi(
  {
    title: 'Girok legal-service',
    version: 'v1',
    description:
      'Legal documents and their lifecycle, consents with an append-only history, the law registry ' +
      'and data-subject requests. Each /v1 route is the JSON face of a LegalService RPC ' +
      '(girok.legal.v1); every route needs `authorization: Bearer <access token>` except ' +
      'GET /v1/required-consents. Errors are RFC 9457 problem+json with a stable code.',
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

export const ROUTE_CONTROLLERS = [...REST_CONTROLLERS, OpenApiController];
