import { buildOpenApi } from '@girok/kit/http';
import { Controller, Get } from '@nestjs/common';
import { AuditController } from './audit.controller.ts';

export const REST_CONTROLLERS = [AuditController];

const document = buildOpenApi(
  {
    title: 'Girok audit-service',
    version: 'v1',
    description:
      'The security audit trail: login history, admin actions and per-account trails, and the ' +
      'retention policy. Each /v1 route is the JSON face of an AuditService RPC (girok.audit.v1) and ' +
      'needs a bearer access token. Reads answer degraded=true with an empty page while ClickHouse ' +
      'is unavailable. Errors are RFC 9457 problem+json with a stable code.',
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
