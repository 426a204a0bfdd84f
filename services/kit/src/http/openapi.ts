import {
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescService,
  ScalarType,
} from '@bufbuild/protobuf';
import { Audience, accessOf, httpOf, type MethodAccess } from '@girok/contracts/access';

type Schema = Record<string, unknown>;

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

const INT64 = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

function scalarSchema(type: ScalarType): Schema {
  if (type === ScalarType.BOOL) return { type: 'boolean' };
  if (type === ScalarType.STRING) return { type: 'string' };
  if (type === ScalarType.BYTES) return { type: 'string', format: 'byte' };
  if (type === ScalarType.DOUBLE || type === ScalarType.FLOAT) return { type: 'number' };
  if (INT64.has(type)) return { type: 'string', format: 'int64' }; // proto3 JSON maps 64-bit ints to strings
  return { type: 'integer', format: 'int32' };
}

/** JSON Schemas of proto messages in their proto3 JSON form, collected as components. */
class SchemaCollector {
  readonly components: Record<string, Schema> = {};

  ref(message: DescMessage): Schema {
    if (message.typeName === 'google.protobuf.Timestamp') return { type: 'string', format: 'date-time' };
    if (!(message.typeName in this.components)) {
      this.components[message.typeName] = {}; // placeholder first: messages may be recursive
      this.components[message.typeName] = this.#message(message);
    }
    return { $ref: `#/components/schemas/${message.typeName}` };
  }

  #enum(desc: DescEnum): Schema {
    return { type: 'string', enum: desc.values.map((value) => value.name) };
  }

  #single(field: DescField): Schema {
    switch (field.fieldKind) {
      case 'scalar':
        return scalarSchema(field.scalar);
      case 'enum':
        return this.#enum(field.enum);
      case 'message':
        return this.ref(field.message);
      case 'list':
        return {
          type: 'array',
          items:
            field.listKind === 'scalar'
              ? scalarSchema(field.scalar)
              : field.listKind === 'enum'
                ? this.#enum(field.enum)
                : this.ref(field.message),
        };
      case 'map':
        return {
          type: 'object',
          additionalProperties:
            field.mapKind === 'scalar'
              ? scalarSchema(field.scalar)
              : field.mapKind === 'enum'
                ? this.#enum(field.enum)
                : this.ref(field.message),
        };
    }
  }

  #message(message: DescMessage): Schema {
    const properties: Record<string, Schema> = {};
    for (const field of message.fields) properties[field.jsonName] = this.#single(field);
    return { type: 'object', additionalProperties: false, properties };
  }
}

const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const PROBLEM: Schema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Stable error code, e.g. INVALID_CREDENTIALS' },
    correlationId: { type: 'string' },
    retryAfterSeconds: { type: 'integer' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, description: { type: 'string' } } },
    },
  },
};

const SECURITY_SCHEMES: Schema = {
  accessToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token of auth-service (end users, admins, operators): authorization: Bearer <token>',
  },
  workloadToken: {
    type: 'apiKey',
    in: 'header',
    name: 'girok-workload',
    description: "A platform component's workload token (its projected ServiceAccount token, audience girok)",
  },
};

/** The OpenAPI security requirement of a method, from its access declaration. */
function securityOf(access: MethodAccess): Schema[] {
  if (access.audience === Audience.PUBLIC) return [];
  const workloads = access.workloads.length > 0 ? [{ workloadToken: [] }] : [];
  if (access.audience === Audience.WORKLOADS) return workloads;
  return [{ accessToken: [] }, ...workloads];
}

function describeAccess(access: MethodAccess): string {
  const callers = access.workloads.join(', ');
  switch (access.audience) {
    case Audience.PUBLIC:
      return 'Public: no credentials.';
    case Audience.WORKLOADS:
      return `Platform components only: ${callers}.`;
    case Audience.PERMISSION:
      return `Needs an access token holding ${access.permission}${callers === '' ? '' : ` (or the component ${callers})`}.`;
    default:
      return `Needs an end-user access token${access.accountField === '' ? '' : access.permission === '' ? '; own account only' : `; other accounts need ${access.permission}`}${callers === '' ? '' : ` (or the component ${callers})`}.`;
  }
}

/**
 * The OpenAPI 3.1 document of a service's REST face, generated from its RPCs' `http` and `access`
 * declarations and the proto messages they carry, so the document cannot drift from the code.
 */
export function buildOpenApi(info: OpenApiInfo, services: readonly DescService[]): Schema {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, Schema>> = {};
  for (const service of services) {
    for (const method of service.methods) {
      const http = httpOf(method);
      if (http === undefined) continue;
      const access = accessOf(method);
      const withBody = http.method !== 'GET' && http.method !== 'DELETE';
      const operation: Schema = {
        operationId: method.localName,
        summary: http.summary,
        description: describeAccess(access),
        tags: [service.name],
        security: securityOf(access),
        parameters: http.pathParams.map((name) => ({
          name,
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })),
        ...(withBody
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: schemas.ref(method.input) } },
              },
            }
          : {}),
        responses: {
          [String(http.status)]: {
            description: 'OK',
            content: { 'application/json': { schema: schemas.ref(method.output) } },
          },
          ...(access.audience === Audience.PUBLIC
            ? {}
            : {
                '401': { description: 'No acceptable credentials', content: PROBLEM_CONTENT },
                '403': { description: 'The caller may not do this', content: PROBLEM_CONTENT },
              }),
          default: { description: 'Error', content: PROBLEM_CONTENT },
        },
      };
      if (!withBody)
        operation['x-query'] = `fields of ${method.input.typeName} as query parameters (dotted for nested)`;
      paths[http.path] = { ...paths[http.path], [http.method.toLowerCase()]: operation };
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { schemas: { Problem: PROBLEM, ...schemas.components }, securitySchemes: SECURITY_SCHEMES },
  };
}
