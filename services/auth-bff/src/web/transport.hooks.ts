import { DomainError, toDomainError } from '@girok/kit/errors';
import { PROBLEM_CONTENT_TYPE, toProblemDetails } from '@girok/kit/http';
import type { Logger } from '@girok/kit/logging';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrustedProxies } from './client-address.ts';

/** The API answers data, never a page: nothing may load, frame or run from it. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The explorer (mercurius' GraphiQL) loads React and GraphiQL from unpkg and styles inline; its
 * own scripts, the service worker and the GraphQL endpoint are same-origin.
 */
const EXPLORER_POLICY = [
  "default-src 'none'",
  "script-src 'self' https://unpkg.com",
  "style-src 'self' 'unsafe-inline' https://unpkg.com",
  "font-src 'self' data: https://unpkg.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Paths whose answers carry sessions, tokens or account data: no cache may keep them. */
const isApi = (path: string) => path === '/graphql' || path.startsWith('/api/v1/');

const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? request.url;

const carriesBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

const isJson = (contentType: string | undefined): boolean =>
  /^application\/json\s*(;|$)/i.test(contentType?.trim() ?? '');

/**
 * A failure before any operation ran (the body could not be read, or is not JSON). DomainError's
 * kinds are the outcomes of an RPC and have no 413 or 415, so the status is this layer's own.
 */
function transportProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: DomainError,
): FastifyReply {
  const body = toProblemDetails(error, pathOf(request), String(request.id));
  const title = status === 413 ? 'Content Too Large' : status === 415 ? 'Unsupported Media Type' : body.title;
  return reply
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, status, title });
}

/**
 * Fastify's own errors (body too large, unparseable, no parser for the media type, ...) and any
 * error thrown outside a handler, as problem+json with a code. Used for the whole instance and for
 * mercurius' routes, whose default handler answers them 500 INTERNAL.
 */
export function transportErrorHandler(logger: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const status = error.statusCode;
    if (status === 413)
      return transportProblem(
        request,
        reply,
        413,
        new DomainError('INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE', 'The request body is too large'),
      );
    if (status === 415)
      return transportProblem(
        request,
        reply,
        415,
        new DomainError('INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'Send application/json'),
      );
    if (status !== undefined && status >= 400 && status < 500 && !(error instanceof DomainError))
      return transportProblem(
        request,
        reply,
        400,
        new DomainError('INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'The request could not be read as JSON'),
      );
    const domain = toDomainError(error);
    if (domain.kind === 'INTERNAL' || domain.kind === 'UNAVAILABLE')
      logger.error({ err: domain.cause ?? error, code: domain.code, url: pathOf(request) }, 'request failed');
    return transportProblem(request, reply, domain.httpStatus, domain);
  };
}

/**
 * mercurius' routes: the body's failures (Fastify's, before any operation exists) as on every
 * route, mercurius' own (validation, limits) as GraphQL errors through `formatGraphql`.
 */
export function graphqlRouteErrorHandler(
  logger: Logger,
  formatGraphql: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply,
) {
  const transport = transportErrorHandler(logger);
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    error.code?.startsWith('MER_ERR_')
      ? formatGraphql(error, request, reply)
      : transport(error, request, reply);
}

/**
 * The BFF's HTTP surface rules, on every route (Nest's, mercurius', the REST face, health):
 * the client address behind trusted proxies, JSON-only bodies on the API, the security headers.
 */
export function registerTransportHooks(
  fastify: FastifyInstance,
  proxies: TrustedProxies,
  logger: Logger,
): void {
  fastify.decorateRequest('clientAddress', '');
  fastify.setErrorHandler(transportErrorHandler(logger));
  fastify.addHook('onRequest', async (request, reply) => {
    request.clientAddress = proxies.clientAddress(
      request.socket.remoteAddress ?? '',
      request.headers['x-forwarded-for'],
    );
    // Only JSON reaches an operation: text/plain and multipart are what a cross-site form can
    // send without a preflight, and mercurius would also take application/graphql.
    if (isApi(pathOf(request)) && carriesBody(request) && !isJson(request.headers['content-type']))
      return transportProblem(
        request,
        reply,
        415,
        new DomainError('INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'Send application/json'),
      );
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    const path = pathOf(request);
    reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', path.startsWith('/graphiql') ? EXPLORER_POLICY : API_POLICY);
    if (isApi(path)) reply.header('cache-control', 'no-store');
    return payload;
  });
}
