import { DomainError, ErrorKind, toDomainError } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';

/** What every GraphQL error carries in `extensions`: the same vocabulary as problem+json. */
export interface ErrorExtensions {
  readonly code: string;
  readonly status: number;
  readonly correlationId: string;
  readonly fieldViolations?: readonly { readonly field: string; readonly description: string }[];
  readonly retryAfterSeconds?: number;
}

const kindOfStatus = (status: number): ErrorKind =>
  (Object.keys(ErrorKind) as ErrorKind[]).find((kind) => ErrorKind[kind].http === status) ??
  'INVALID_ARGUMENT';

/**
 * A GraphQL error in the domain vocabulary: a domain error keeps its code and status; one already
 * formatted (mercurius formats before `app.graphql` returns) is read back from its extensions; a
 * GraphQL-level error (syntax, validation, limits) is INVALID_ARGUMENT with its own code; anything
 * else is INTERNAL, whose text never reaches the client.
 */
export function domainErrorOf(error: GraphQLError): DomainError {
  const original = error.originalError;
  if (original instanceof DomainError) return original;
  // A request's variables that do not fit the schema are reported wrapped in another GraphQLError.
  if (original instanceof GraphQLError) return domainErrorOf(original);
  const extensions = (error.extensions ?? {}) as Partial<ErrorExtensions>;
  const code = typeof extensions.code === 'string' ? extensions.code : 'GRAPHQL_VALIDATION_FAILED';
  if (original === undefined || original === null) {
    return new DomainError(
      kindOfStatus(typeof extensions.status === 'number' ? extensions.status : 400),
      code,
      error.message,
      {
        fieldViolations: extensions.fieldViolations ?? [],
        retryAfterSeconds: extensions.retryAfterSeconds ?? 0,
      },
    );
  }
  return toDomainError(original);
}

/** mercurius reports validation failures as one error wrapping the list: unwrap it. */
export function flattenErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((error) => {
    const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
    return Array.isArray(inner) ? (inner as GraphQLError[]) : [error];
  });
}

export function formatGraphqlError(
  error: GraphQLError,
  correlationId: string,
  logger: Logger,
): GraphQLFormattedError {
  const domain = domainErrorOf(error);
  if (domain.kind === 'INTERNAL' || domain.kind === 'UNAVAILABLE')
    logger.error(
      { err: domain.cause ?? error.originalError, code: domain.code, path: error.path },
      'graphql operation failed',
    );
  return {
    message: domain.message,
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: {
      code: domain.code,
      status: domain.httpStatus,
      correlationId,
      ...(domain.fieldViolations.length > 0 ? { fieldViolations: domain.fieldViolations } : {}),
      ...(domain.retryAfterSeconds > 0 ? { retryAfterSeconds: domain.retryAfterSeconds } : {}),
    } satisfies ErrorExtensions,
  };
}

/**
 * mercurius' errorFormatter: 200 when there is data, else the first error's status, with its
 * retry-after as a header too (a 429 or 503 answers alike on /graphql and on REST).
 */
export function graphqlErrorFormatter(logger: Logger) {
  return (execution: ExecutionResult, context: { reply?: Pick<FastifyReply, 'header' | 'request'> }) => {
    const correlationId = String(context.reply?.request?.id ?? '');
    const errors = flattenErrors(execution.errors ?? []).map((e) =>
      formatGraphqlError(e, correlationId, logger),
    );
    const hasData = execution.data !== null && execution.data !== undefined;
    const first = errors[0]?.extensions as ErrorExtensions | undefined;
    const status = hasData ? 200 : (first?.status ?? 400);
    if (!hasData && first?.retryAfterSeconds !== undefined)
      context.reply?.header('retry-after', String(first.retryAfterSeconds));
    return { statusCode: status, response: { data: execution.data ?? null, errors } };
  };
}

/** What mercurius' default errorHandler does with an error it throws: one GraphQL error wrapping it. */
export function graphqlErrorReply(logger: Logger) {
  const format = graphqlErrorFormatter(logger);
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { statusCode, response } = format(
      { errors: [new GraphQLError(error.message, { originalError: error })] },
      { reply },
    );
    return reply.code(statusCode).send(response);
  };
}
