import {
  create,
  type DescField,
  type DescMessage,
  type DescMethod,
  fromJson,
  type JsonValue,
  ScalarType,
  toJson,
} from '@bufbuild/protobuf';
import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  HttpCode,
  type NestInterceptor,
  RequestMapping,
  RequestMethod,
  SetMetadata,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { DomainError } from '../errors/domain-error.ts';

export type HttpVerb = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A REST route bound to one RPC: its request and response contracts are the RPC's messages. */
export interface RestRoute {
  readonly verb: HttpVerb;
  readonly path: string;
  readonly rpc: DescMethod;
  readonly status: number;
  readonly summary: string;
}

export const REST_ROUTE = Symbol('girok:rest-route');

/**
 * Declares a REST route as the JSON face of an RPC (the proto3 JSON mapping, like grpc-gateway):
 * path parameters, query parameters (dotted for nested fields, `page.pageSize=10`) and the body
 * are merged into the RPC's request message. The OpenAPI document is generated from these.
 */
export function RestRpc(
  verb: HttpVerb,
  path: string,
  rpc: DescMethod,
  options: { status?: number; summary?: string } = {},
) {
  const route: RestRoute = {
    verb,
    path,
    rpc,
    status: options.status ?? 200,
    summary: options.summary ?? rpc.name,
  };
  return applyDecorators(
    RequestMapping({ path, method: RequestMethod[verb] }),
    HttpCode(route.status),
    SetMetadata(REST_ROUTE, route),
  );
}

export function restRouteOf(handler: object): RestRoute | undefined {
  return Reflect.getMetadata(REST_ROUTE, handler) as RestRoute | undefined;
}

const DECODE_FIELD = /cannot decode field [\w.]+\.(\w+) from JSON: (.*)$/;
const UNKNOWN_KEY = /key "([^"]+)" is unknown/;
const DECODE_ENUM = /cannot decode enum ([\w.]+) from JSON: (.*)$/;

/** Parses JSON into a request message; a type error names the offending field. */
function parseRequest<Desc extends DescMessage>(schema: Desc, json: JsonValue) {
  try {
    return fromJson(schema, json);
  } catch (error) {
    const message = (error as Error).message;
    const field = DECODE_FIELD.exec(message);
    const unknown = UNKNOWN_KEY.exec(message);
    const enumError = DECODE_ENUM.exec(message);
    const violation = field
      ? { field: field[1] ?? 'body', description: field[2] ?? 'invalid value' }
      : unknown
        ? { field: unknown[1] ?? 'body', description: 'unknown field' }
        : enumError
          ? { field: 'body', description: `unknown ${enumError[1]} value ${enumError[2]}` }
          : { field: 'body', description: 'not a valid JSON request' };
    throw new DomainError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'The request has invalid fields', {
      fieldViolations: [violation],
    });
  }
}

/** `a.b=1` query keys into `{ a: { b: '1' } }`; booleans and numbers are typed by the schema. */
function nestQuery(schema: DescMessage, query: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, raw] of Object.entries(query)) {
    const path = key.split('.');
    let target = out;
    let message: DescMessage | undefined = schema;
    for (const [index, part] of path.entries()) {
      const field: DescField | undefined = message?.fields.find(
        (f) => f.jsonName === part || f.name === part,
      );
      if (index === path.length - 1) {
        const value = Array.isArray(raw) ? raw.map(String) : String(raw);
        target[part] =
          field?.fieldKind === 'scalar' && field.scalar === ScalarType.BOOL ? value === 'true' : value;
      } else {
        target[part] ??= {};
        target = target[part] as Record<string, JsonValue>;
        message = field?.fieldKind === 'message' ? field.message : undefined;
      }
    }
  }
  return out;
}

/** The handler's RPC request, parsed from path, query and body. */
export const RpcRequest = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const route = restRouteOf(context.getHandler());
  if (route === undefined) throw new Error('@RpcRequest() needs @RestRpc() on the same handler');
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const body = request.body;
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new DomainError('INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'The request body must be a JSON object');
  }
  const json = {
    ...nestQuery(route.rpc.input, (request.query ?? {}) as Record<string, unknown>),
    ...((body ?? {}) as Record<string, JsonValue>),
    ...((request.params ?? {}) as Record<string, JsonValue>),
  };
  return parseRequest(route.rpc.input, json);
});

/** Serialises a handler's result with the RPC's response message (defaults included). */
export class RestRpcResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = restRouteOf(context.getHandler());
    if (route === undefined) return next.handle();
    return next
      .handle()
      .pipe(
        map((result) =>
          toJson(route.rpc.output, create(route.rpc.output, result as never), { alwaysEmitImplicit: true }),
        ),
      );
  }
}
