import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentRequestId, REQUEST_ID_KEY } from '../context/request-context.ts';
import { DomainError, toDomainError } from '../errors/domain-error.ts';
import type { Logger } from '../logging/logger.ts';
import { PROBLEM_CONTENT_TYPE, toProblemDetails } from './problem-details.ts';

/** Nest's own HTTP exceptions (unknown route, unparseable body, ...) in the domain vocabulary. */
function fromHttpException(error: HttpException): DomainError {
  const status = error.getStatus();
  if (status === 404) return new DomainError('NOT_FOUND', 'ROUTE_NOT_FOUND', 'No such route');
  if (status === 415)
    return new DomainError('INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'Send application/json');
  if (status === 413)
    return new DomainError('INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (status >= 400 && status < 500) {
    return new DomainError('INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'The request could not be read as JSON');
  }
  return toDomainError(error);
}

/**
 * Sends any failure as problem+json with a code and the correlation id; never driver text. The one
 * translation for the Nest filter and the kit's REST face alike.
 */
export function sendProblem(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const fastifyStatus = (exception as { statusCode?: unknown }).statusCode;
  const error =
    exception instanceof HttpException
      ? fromHttpException(exception)
      : !(exception instanceof DomainError) &&
          typeof fastifyStatus === 'number' &&
          fastifyStatus >= 400 &&
          fastifyStatus < 500
        ? fromHttpException(new HttpException('', fastifyStatus))
        : toDomainError(exception);
  const correlationId = currentRequestId() ?? String(request.id);
  if (error.kind === 'INTERNAL' || error.kind === 'UNAVAILABLE') {
    logger.error({ err: error.cause ?? error, code: error.code, url: request.url }, 'request failed');
  }
  const body = toProblemDetails(error, request.url.split('?')[0] ?? request.url, correlationId);
  reply.header(REQUEST_ID_KEY, correlationId);
  if (error.retryAfterSeconds > 0) reply.header('retry-after', String(error.retryAfterSeconds));
  reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Every REST error leaves as problem+json with a code and the correlation id; never driver text. */
export class ProblemDetailsFilter implements ExceptionFilter {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  catch(exception: unknown, host: ArgumentsHost): unknown {
    // GraphQL resolvers: the error goes back to the GraphQL layer, whose formatter gives it a code.
    if (host.getType() !== 'http') return exception;
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.#logger);
    return undefined;
  }
}

// The kit runs under Node's type stripping, which has no decorator syntax: apply it as a call.
Catch()(ProblemDetailsFilter);
