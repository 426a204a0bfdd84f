import type { DescMethod, DescService, Message, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import {
  status as GrpcStatus,
  type handleUnaryCall,
  Metadata,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { REQUEST_ID_KEY, requestIdFrom, runWithContext } from '../context/request-context.ts';
import { DomainError, toDomainError } from '../errors/domain-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { Caller } from '../rpc/caller.ts';
import { errorDetailTrailer, statusName } from './grpc-errors.ts';
import { methodPath } from './service-definition.ts';

const SERVER_FAULTS = new Set<number>([GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.DATA_LOSS]);
const DEPENDENCY_FAULTS = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
]);

/** What a handler knows about the call besides the request. */
export interface CallContext {
  /** `/girok.identity.v1.IdentityService/GetAccount` */
  readonly method: string;
  /** The caller's `x-request-id`, or a fresh one; also in the AsyncLocalStorage context. */
  readonly requestId: string;
  readonly metadata: Metadata;
  /** `127.0.0.1:53122`, or `unknown`. */
  readonly peer: string;
  /** When the caller stops waiting; undefined when it set no deadline. */
  readonly deadline: Date | undefined;
  /** Aborts when the caller cancels or the deadline passes; pass it to I/O the handler starts. */
  readonly signal: AbortSignal;
  /** Who calls, verified against the method's access declaration before the handler runs. */
  readonly caller: Caller;
}

/** Proves who makes a call and that the method's declaration admits them (throws otherwise). */
export type CallGuard = (method: DescMethod, request: Message, metadata: Metadata) => Promise<Caller>;

export type UnaryHandler<M extends DescMethod> = (
  request: MessageShape<M['input']>,
  call: CallContext,
) => Promise<MessageInitShape<M['output']>>;

/** Handlers for some or all methods of a service, keyed and typed by its descriptor. */
export type ServiceHandlers<S extends DescService> = {
  readonly [K in keyof S['method']]?: UnaryHandler<S['method'][K]>;
};

/** Counts calls in flight, so shutdown can say how many a forced stop cut off. */
export interface InFlight {
  count: number;
}

/**
 * The one place a unary call is served: it reads or mints the request id, has the guard verify the
 * caller against the method's access declaration, and runs the handler inside its context, echoes the id in the response headers, rejects calls whose deadline has
 * already passed, aborts the handler's signal on cancellation or deadline, turns whatever the
 * handler threw into a safe status plus a `girok-error-bin` trailer, and logs one line per call
 * (method, gRPC code, duration, request id; never the request or response body).
 */
export function serveUnary(
  method: DescMethod,
  handler: UnaryHandler<DescMethod> | undefined,
  logger: Logger,
  inFlight: InFlight,
  guard: CallGuard,
): handleUnaryCall<Message, Message> {
  const path = methodPath(method);
  return (call: ServerUnaryCall<Message, Message>, callback: sendUnaryData<Message>) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_KEY)[0]);
    const deadline = deadlineOf(call.getDeadline());
    const controller = new AbortController();
    let finished = false;
    inFlight.count++;

    const log = (grpcCode: number, fields: Record<string, unknown> = {}) =>
      runWithContext({ requestId }, () => {
        const line = {
          method: path,
          grpcCode: statusName(grpcCode),
          durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
          ...fields,
        };
        if (SERVER_FAULTS.has(grpcCode)) logger.error(line, 'grpc call');
        else if (DEPENDENCY_FAULTS.has(grpcCode)) logger.warn(line, 'grpc call');
        // Successful calls are the bulk: an access log at debug, so the default level stays cheap.
        else if (grpcCode === GrpcStatus.OK) logger.debug(line, 'grpc call');
        else logger.info(line, 'grpc call');
      });

    const end = (): boolean => {
      if (finished) return false;
      finished = true;
      inFlight.count--;
      call.off('cancelled', onCancelled);
      return true;
    };

    const echoRequestId = () => {
      if (call.cancelled) return;
      const headers = new Metadata();
      headers.set(REQUEST_ID_KEY, requestId);
      call.sendMetadata(headers);
    };

    const succeed = (response: Message) => {
      if (!end()) return;
      echoRequestId();
      callback(null, response);
      log(GrpcStatus.OK);
    };

    const fail = (error: unknown) => {
      if (!end()) return;
      // The one translation of driver errors: an unreachable database is UNAVAILABLE, not INTERNAL.
      const domain = toDomainError(error);
      const status = domain.grpcStatus;
      const code = domain.code;
      // Only the DomainError's message is written for callers; a driver's text stays in the log.
      const message = domain.message;
      const details = status === GrpcStatus.INTERNAL ? `${message} (request id ${requestId})` : message;
      echoRequestId();
      callback({
        code: status,
        details,
        metadata: errorDetailTrailer(
          {
            code,
            message,
            fieldViolations: domain.fieldViolations,
            retryAfterSeconds: domain.retryAfterSeconds,
          },
          requestId,
        ),
      });
      const fields: Record<string, unknown> = { errorCode: code };
      if (status === GrpcStatus.INTERNAL || status === GrpcStatus.UNAVAILABLE)
        fields.err = domain.cause ?? error;
      log(status, fields);
    };

    const unimplemented = () => {
      if (!end()) return;
      const message = `${path} is not implemented`;
      echoRequestId();
      callback({
        code: GrpcStatus.UNIMPLEMENTED,
        details: message,
        metadata: errorDetailTrailer({ code: 'UNIMPLEMENTED', message }, requestId),
      });
      log(GrpcStatus.UNIMPLEMENTED);
    };

    // grpc-js ends the call itself when the deadline passes or the client goes away; all that is
    // left is to stop the handler's work and record how it ended.
    function onCancelled() {
      const deadlinePassed = deadline !== undefined && Date.now() >= deadline.getTime();
      controller.abort(
        deadlinePassed
          ? new DomainError(
              'DEADLINE_EXCEEDED',
              'DEADLINE_EXCEEDED',
              'The deadline passed before the call finished',
            )
          : new DOMException('The caller cancelled the call', 'AbortError'),
      );
      if (!end()) return;
      log(deadlinePassed ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED);
    }
    call.on('cancelled', onCancelled);

    if (call.cancelled) return onCancelled();
    if (deadline !== undefined && Date.now() >= deadline.getTime()) {
      controller.abort();
      return fail(
        new DomainError(
          'DEADLINE_EXCEEDED',
          'DEADLINE_EXCEEDED',
          'The deadline had passed before the call started',
        ),
      );
    }
    if (handler === undefined) return unimplemented();

    const run = async () => {
      const response = await runWithContext({ requestId }, async () => {
        const caller = await guard(method, call.request, call.metadata);
        const context: CallContext = {
          method: path,
          requestId,
          metadata: call.metadata,
          peer: call.getPeer(),
          deadline,
          signal: controller.signal,
          caller,
        };
        return handler(call.request, context);
      });
      return create(method.output, response);
    };
    run().then(succeed, fail);
  };
}

function deadlineOf(deadline: Date | number): Date | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}
