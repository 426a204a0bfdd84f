import { type DescEnum, type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { type RestRoute, restRouteOf } from './rest-rpc.ts';

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

function routesOf(controller: new (...args: never[]) => unknown): { path: string; route: RestRoute }[] {
  const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).flatMap((name) => {
    const handler = prototype[name];
    const route = typeof handler === 'function' ? restRouteOf(handler) : undefined;
    if (route === undefined) return [];
    const path = `/${[base, route.path].join('/')}`.replace(/\/+/g, '/').replace(/\/$/, '');
    return [{ path: path.replace(/:(\w+)/g, '{$1}'), route }];
  });
}

/**
 * The OpenAPI 3.1 document of a service's REST face, generated from its `@RestRpc` routes and the
 * proto messages they carry, so the document cannot drift from the code.
 */
export function buildOpenApi(info: OpenApiInfo, controllers: (new (...args: never[]) => unknown)[]): Schema {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, Schema>> = {};
  for (const controller of controllers) {
    for (const { path, route } of routesOf(controller)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      const withBody = route.verb !== 'GET' && route.verb !== 'DELETE';
      const operation: Schema = {
        operationId: route.rpc.localName,
        summary: route.summary,
        tags: [route.rpc.parent.name],
        parameters: pathParams.map((name) => ({
          name,
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })),
        ...(withBody
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: schemas.ref(route.rpc.input) } },
              },
            }
          : {}),
        responses: {
          [String(route.status)]: {
            description: 'OK',
            content: { 'application/json': { schema: schemas.ref(route.rpc.output) } },
          },
          default: {
            description: 'Error',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      };
      if (!withBody)
        operation['x-query'] =
          `fields of ${route.rpc.input.typeName} as query parameters (dotted for nested)`;
      paths[path] = { ...paths[path], [route.verb.toLowerCase()]: operation };
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { schemas: { Problem: PROBLEM, ...schemas.components } },
  };
}
