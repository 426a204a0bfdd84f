import type { DomainError } from '../errors/domain-error.ts';

/** RFC 9457 problem details, extended with the stable `code`, field violations and correlation id. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly correlationId: string;
  readonly errors?: readonly { readonly field: string; readonly description: string }[];
  readonly retryAfterSeconds?: number;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function toProblemDetails(
  error: DomainError,
  instance: string,
  correlationId: string,
): ProblemDetails {
  const status = error.httpStatus;
  return {
    type: `https://girok.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: error.message,
    instance,
    code: error.code,
    correlationId,
    ...(error.fieldViolations.length > 0 ? { errors: error.fieldViolations } : {}),
    ...(error.retryAfterSeconds > 0 ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
  };
}
