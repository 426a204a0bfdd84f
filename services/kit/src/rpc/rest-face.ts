import {
  create,
  type DescField,
  type DescMessage,
  type DescMethod,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  ScalarType,
  toJson,
} from '@bufbuild/protobuf';
import { accessOf, httpOf, type MethodHttp } from '@girok/contracts/access';
import { Metadata } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_KEY, runWithContext } from '../context/request-context.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { ServiceImplementation } from '../grpc/grpc-server.ts';
import { methodPath } from '../grpc/service-definition.ts';
import type { CallContext, UnaryHandler } from '../grpc/unary-handler.ts';
import { sendProblem } from '../http/problem-details.filter.ts';
import type { Logger } from '../logging/logger.ts';
import { type CallerAuthenticator, WORKLOAD_TOKEN_HEADER } from './caller.ts';

const invalid = (field: string, description: string) =>
  new DomainError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'The request has invalid fields', {
    fieldViolations: [{ field, description }],
  });

const fieldOf = (message: DescMessage, key: string): DescField | undefined =>
  message.fields.find((f) => f.jsonName === key || f.name === key);

/**
 * Query keys into the request's JSON form: `page.pageSize=10` → `{ page: { pageSize: '10' } }`.
 * Every key must name a field of the request (nested through message fields), so no key can
 * reach an inherited property such as `__proto__`; anything else is refused with 400.
 */
export function queryToJson(schema: DescMessage, query: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(query)) {
    const raw = query[key];
    const path = key.split('.');
    let target: JsonObject = out;
    let message: DescMessage = schema;
    for (const [index, part] of path.entries()) {
      const field = fieldOf(message, part);
      if (field === undefined) throw invalid(key, 'unknown query parameter');
      const name = field.jsonName;
      if (index === path.length - 1) {
        if (field.fieldKind === 'message' || field.fieldKind === 'map')
          throw invalid(key, 'name a scalar field (dotted for nested ones)');
        const value = Array.isArray(raw) ? raw.map(String) : String(raw);
        target[name] =
          field.fieldKind === 'scalar' && field.scalar === ScalarType.BOOL
            ? value === 'true'
            : field.fieldKind === 'list' && !Array.isArray(value)
              ? [value]
              : value;
      } else {
        if (field.fieldKind !== 'message') throw invalid(key, 'only message fields have nested fields');
        const next = Object.hasOwn(target, name) ? target[name] : undefined;
        const child: JsonObject =
          next !== undefined && next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
        target[name] = child;
        target = child;
        message = field.message;
      }
    }
  }
  return out;
}

const DECODE_FIELD = /cannot decode field [\w.]+\.(\w+) from JSON: (.*)$/;
const UNKNOWN_KEY = /key "([^"]+)" is unknown/;
const DECODE_ENUM = /cannot decode enum ([\w.]+) from JSON: (.*)$/;

/** Parses JSON into a request message; a type error names the offending field. */
function parseRequest(schema: DescMessage, json: JsonValue): Message {
  try {
    return fromJson(schema, json);
  } catch (error) {
    const message = (error as Error).message;
    const field = DECODE_FIELD.exec(message);
    const unknown = UNKNOWN_KEY.exec(message);
    const enumError = DECODE_ENUM.exec(message);
    if (field) throw invalid(field[1] ?? 'body', field[2] ?? 'invalid value');
    if (unknown) throw invalid(unknown[1] ?? 'body', 'unknown field');
    if (enumError) throw invalid('body', `unknown ${enumError[1]} value ${enumError[2]}`);
    throw invalid('body', 'not a valid JSON request');
  }
}

/** The RPC request from the path parameters, the query (GET/DELETE) and the JSON body; path wins. */
export function requestFromHttp(
  method: DescMethod,
  http: MethodHttp,
  parts: { params: unknown; query: unknown; body: unknown },
): Message {
  const { body } = parts;
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new DomainError('INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'The request body must be a JSON object');
  }
  const withQuery = http.method === 'GET' || http.method === 'DELETE';
  const query = (parts.query ?? {}) as Record<string, unknown>;
  if (!withQuery && Object.keys(query).length > 0) {
    throw invalid(Object.keys(query)[0] ?? 'query', `${http.method} takes its fields in the JSON body`);
  }
  const json: JsonObject = withQuery ? queryToJson(method.input, query) : {};
  for (const [key, value] of Object.entries((body ?? {}) as JsonObject)) {
    if (fieldOf(method.input, key) === undefined) throw invalid(key, 'unknown field');
    json[key] = value;
  }
  const params = (parts.params ?? {}) as Record<string, string>;
  for (const name of http.pathParams) {
    const value = params[name];
    if (value === undefined || value === '') throw invalid(name, 'is required');
    json[fieldOf(method.input, name)?.jsonName ?? name] = value;
  }
  return parseRequest(method.input, json);
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export interface RestFaceOptions {
  readonly services: readonly ServiceImplementation[];
  readonly callers: CallerAuthenticator;
  readonly logger: Logger;
}

/**
 * Mounts the REST face of every RPC that declares `(girok.common.v1.http)`: the same handler the
 * gRPC face runs, behind the same access declaration. The caller is proven before the request is
 * mapped onto the RPC's message (so an anonymous caller learns nothing about its fields; only
 * Fastify's JSON syntax check comes first), the declaration is checked against the parsed request,
 * and the answer is the RPC's response in the proto3 JSON mapping.
 */
export function registerRestFace(fastify: FastifyInstance, options: RestFaceOptions): void {
  for (const { service, handlers } of options.services) {
    for (const method of service.methods) {
      const http = httpOf(method);
      if (http === undefined) continue;
      const access = accessOf(method);
      const handler = (handlers as Record<string, UnaryHandler<DescMethod> | undefined>)[method.localName];
      if (handler === undefined) throw new Error(`${methodPath(method)} has a REST route but no handler`);
      fastify.route({
        method: http.method,
        url: http.path.replace(/\{(\w+)\}/g, ':$1'),
        errorHandler: (error, request, reply) => sendProblem(error, request, reply, options.logger),
        handler: (request: FastifyRequest, reply: FastifyReply) =>
          runWithContext({ requestId: String(request.id) }, async () => {
            const caller = await options.callers.authenticate(access, {
              authorization: header(request, 'authorization'),
              workload: header(request, WORKLOAD_TOKEN_HEADER),
            });
            const message = requestFromHttp(method, http, request);
            options.callers.authorize(method, access, caller, message);
            const abort = new AbortController();
            request.raw.once('close', () => {
              if (!reply.sent) abort.abort(new DOMException('The client went away', 'AbortError'));
            });
            const metadata = new Metadata();
            metadata.set(REQUEST_ID_KEY, String(request.id));
            const context: CallContext = {
              method: methodPath(method),
              requestId: String(request.id),
              metadata,
              peer: request.ip,
              deadline: undefined,
              signal: abort.signal,
              caller,
            };
            const result = await handler(message, context);
            reply.header(REQUEST_ID_KEY, String(request.id));
            reply.status(http.status).type('application/json');
            return toJson(method.output, create(method.output, result), { alwaysEmitImplicit: true });
          }),
      });
    }
  }
}
