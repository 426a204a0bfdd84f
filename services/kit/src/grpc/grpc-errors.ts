import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type ErrorDetail, ErrorDetailSchema } from '@girok/contracts/common/v1/common';
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { DomainError, type ErrorKind } from '../errors/domain-error.ts';
import { asBuffer } from './service-definition.ts';

/** The trailer that carries `girok.common.v1.ErrorDetail` on every failed call (binary: `-bin`). */
export const ERROR_DETAIL_KEY = 'girok-error-bin';

/** How each gRPC status reads as a domain error kind when it crosses back into a service. */
const KIND_OF_STATUS: Record<GrpcStatus, ErrorKind> = {
  [GrpcStatus.OK]: 'INTERNAL',
  [GrpcStatus.CANCELLED]: 'UNAVAILABLE',
  [GrpcStatus.UNKNOWN]: 'INTERNAL',
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.ALREADY_EXISTS]: 'CONFLICT',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.ABORTED]: 'CONFLICT',
  [GrpcStatus.OUT_OF_RANGE]: 'INVALID_ARGUMENT',
  [GrpcStatus.UNIMPLEMENTED]: 'INTERNAL',
  [GrpcStatus.INTERNAL]: 'INTERNAL',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.DATA_LOSS]: 'INTERNAL',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
};

export function kindOfStatus(code: number): ErrorKind {
  return KIND_OF_STATUS[code as GrpcStatus] ?? 'INTERNAL';
}

/** `NOT_FOUND` for 5: the name logs and error codes use. */
export function statusName(code: number): string {
  return GrpcStatus[code] ?? `STATUS_${code}`;
}

/** The `girok-error-bin` trailer for a failure: what the client needs to rebuild the error. */
export function errorDetailTrailer(
  detail: {
    code: string;
    message: string;
    fieldViolations?: DomainError['fieldViolations'];
    retryAfterSeconds?: number;
  },
  requestId: string,
): Metadata {
  const message = create(ErrorDetailSchema, {
    code: detail.code,
    message: detail.message,
    fieldViolations:
      detail.fieldViolations?.map((v) => ({ field: v.field, description: v.description })) ?? [],
    correlationId: requestId,
    retryAfterSeconds: Math.max(0, Math.min(2_147_483_647, Math.round(detail.retryAfterSeconds ?? 0))),
  });
  const trailer = new Metadata();
  trailer.set(ERROR_DETAIL_KEY, asBuffer(toBinary(ErrorDetailSchema, message)));
  return trailer;
}

/** The ErrorDetail a server put in the trailers, or undefined when there is none (or garbage). */
export function errorDetailFrom(metadata: Metadata | undefined): ErrorDetail | undefined {
  const value = metadata?.get(ERROR_DETAIL_KEY)[0];
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return fromBinary(ErrorDetailSchema, value);
  } catch {
    return undefined;
  }
}

/** What a failed call looks like to grpc-js's client callback. */
export interface GrpcFailure {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: Metadata;
}

/**
 * A failed call turned back into the DomainError the server threw: same kind, code, message,
 * field violations and retry-after, read from `girok-error-bin`. Failures without that trailer
 * (the server was never reached, the deadline passed, a proxy answered) get a message naming
 * `target` and never the transport's own text, which stays in `cause` for the log.
 */
export function domainErrorFromStatus(failure: GrpcFailure & Error, target: string): DomainError {
  const kind = kindOfStatus(failure.code);
  const detail = errorDetailFrom(failure.metadata);
  if (detail !== undefined && detail.code !== '') {
    return new DomainError(kind, detail.code, detail.message, {
      fieldViolations: detail.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
      retryAfterSeconds: detail.retryAfterSeconds,
      cause: failure,
    });
  }
  return new DomainError(kind, statusName(failure.code), transportMessage(failure.code, target), {
    cause: failure,
  });
}

function transportMessage(code: number, target: string): string {
  switch (code) {
    case GrpcStatus.UNAVAILABLE:
      return `${target} is unavailable`;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return `${target} did not answer before the deadline`;
    case GrpcStatus.CANCELLED:
      return `The call to ${target} was cancelled`;
    case GrpcStatus.UNIMPLEMENTED:
      return `${target} is not implemented by the server`;
    default:
      return `${target} failed (${statusName(code)})`;
  }
}
