import { status as GrpcStatus } from '@grpc/grpc-js';

/** A request field that failed validation, named by its path in the request. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * The kinds of failure a caller can act on. Each maps to one HTTP status and one gRPC status, so
 * REST and gRPC callers see the same failure the same way.
 */
export const ErrorKind = {
  INVALID_ARGUMENT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  PERMISSION_DENIED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  CONFLICT: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  FAILED_PRECONDITION: { http: 412, grpc: GrpcStatus.FAILED_PRECONDITION },
  RESOURCE_EXHAUSTED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  DEADLINE_EXCEEDED: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const;
export type ErrorKind = keyof typeof ErrorKind;

export interface DomainErrorOptions {
  readonly fieldViolations?: readonly FieldViolation[];
  /** Seconds after which a retry can succeed (rate limits, lockouts). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/**
 * A failure with a stable code (`ACCOUNT_LOCKED`, `INVALID_CREDENTIALS`, ...) that callers can
 * branch on. The message is safe to show: it never carries secrets or driver text.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly fieldViolations: readonly FieldViolation[];
  readonly retryAfterSeconds: number;

  constructor(kind: ErrorKind, code: string, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.fieldViolations = options.fieldViolations ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds ?? 0;
  }

  get httpStatus(): number {
    return ErrorKind[this.kind].http;
  }

  get grpcStatus(): GrpcStatus {
    return ErrorKind[this.kind].grpc;
  }
}

/** One-line guard: `assertThat(account, 'NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'No such account')`. */
export function assertThat(
  condition: unknown,
  kind: ErrorKind,
  code: string,
  message: string,
  options?: DomainErrorOptions,
): asserts condition {
  if (!condition) throw new DomainError(kind, code, message, options);
}

/** Collects field violations and throws one INVALID_ARGUMENT naming every bad field. */
export class Violations {
  readonly #list: FieldViolation[] = [];

  add(field: string, description: string): this {
    this.#list.push({ field, description });
    return this;
  }

  check(condition: boolean, field: string, description: string): this {
    if (!condition) this.add(field, description);
    return this;
  }

  throwIfAny(message = 'The request has invalid fields'): void {
    if (this.#list.length > 0) {
      throw new DomainError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', message, {
        fieldViolations: this.#list,
      });
    }
  }
}

// Connection-level failures of the drivers (pg, iovalkey, kafkajs, node:net): the dependency is
// down or unreachable, which a caller can retry, unlike a bug.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const PG_UNAVAILABLE = /^(08|57P0[1-3]|53300)/; // connection exceptions, shutdown, too many connections
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Connection is closed|connect ECONNREFUSED|MaxRetriesPerRequest|Stream isn't writeable|not queryable/i;

function isUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e?.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code)))
    return true;
  if (typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  // AggregateError from a dual-stack connect attempt.
  return Array.isArray(e?.errors) && e.errors.some(isUnavailable);
}

/**
 * Whatever was thrown, as a DomainError fit for a client. This is the one place driver errors
 * are translated: an unreachable dependency becomes UNAVAILABLE (retryable, 503), anything else
 * unexpected INTERNAL. Neither carries the driver's text; the cause stays for the log.
 */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (isUnavailable(error)) {
    return new DomainError(
      'UNAVAILABLE',
      'DEPENDENCY_UNAVAILABLE',
      'A backing service is unavailable; retry shortly',
      {
        cause: error,
        retryAfterSeconds: 1,
      },
    );
  }
  return new DomainError('INTERNAL', 'INTERNAL', 'Internal error', { cause: error });
}
