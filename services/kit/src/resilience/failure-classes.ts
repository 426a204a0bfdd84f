import { status as GrpcStatus } from '@grpc/grpc-js';
import { isBrokenCircuitError, isTaskCancelledError } from 'cockatiel';
import { DomainError } from '../errors/domain-error.ts';

/** The code a policy puts on the error it throws while its circuit is open. */
export const DEPENDENCY_UNAVAILABLE = 'DEPENDENCY_UNAVAILABLE';
/** The code a policy puts on the error it throws when an attempt outlives its timeout. */
export const DEPENDENCY_TIMEOUT = 'DEPENDENCY_TIMEOUT';

/** Socket-level failures after which the same request can succeed on another attempt. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether another attempt of the same call can succeed: the dependency could not be reached, or
 * said it was unavailable. Business failures (bad input, not found, conflict) and timeouts are not
 * transient: repeating them repeats the failure or, for a timeout, may repeat a write that landed.
 * An open circuit downstream (`DEPENDENCY_UNAVAILABLE`) is not retried either: it stays open for
 * seconds, far longer than a retry backoff.
 */
export function isTransientError(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (isBrokenCircuitError(link)) return false;
    if (link instanceof DomainError) {
      return link.kind === 'UNAVAILABLE' && link.code !== DEPENDENCY_UNAVAILABLE && link.code !== 'CANCELLED';
    }
    if (grpcCodeOf(link) === GrpcStatus.UNAVAILABLE) return true;
    const code = socketCodeOf(link);
    if (code !== undefined && TRANSIENT_SOCKET_CODES.has(code)) return true;
  }
  return false;
}

/**
 * Whether a failure says the dependency itself is unwell, and so counts toward opening its
 * circuit: transient failures, timeouts and internal errors. A rejected request (invalid
 * argument, not found, permission denied, ...) proves the dependency is answering, so it does not.
 */
export function isDependencyFailure(error: unknown): boolean {
  if (isTransientError(error) || isTaskCancelledError(error)) return true;
  if (error instanceof DomainError) {
    return error.kind === 'DEADLINE_EXCEEDED' || error.kind === 'INTERNAL' || error.kind === 'UNAVAILABLE';
  }
  const grpcCode = grpcCodeOf(error);
  if (grpcCode !== undefined) {
    return (
      grpcCode === GrpcStatus.DEADLINE_EXCEEDED ||
      grpcCode === GrpcStatus.INTERNAL ||
      grpcCode === GrpcStatus.UNKNOWN ||
      grpcCode === GrpcStatus.DATA_LOSS
    );
  }
  // The caller gave up: says nothing about the dependency.
  if (error instanceof Error && error.name === 'AbortError') return false;
  // Anything else thrown by a client library (a driver error, a protocol error) is the
  // dependency misbehaving as far as this caller can tell.
  return true;
}

function* causeChain(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/** The numeric status of a grpc-js `ServiceError` (an Error with `code`, `details`, `metadata`). */
function grpcCodeOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('details' in error) || !('metadata' in error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function socketCodeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
