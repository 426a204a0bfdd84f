import type { DescMethod, DescService, Message, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import {
  type ChannelCredentials,
  Client,
  type ClientOptions,
  type ClientUnaryCall,
  status as GrpcStatus,
  credentials as grpcCredentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { currentRequestId, REQUEST_ID_KEY, requestIdFrom } from '../context/request-context.ts';
import type { Logger } from '../logging/logger.ts';
import { createPolicy, type ResiliencePolicy } from '../resilience/resilience-policy.ts';
import { WORKLOAD_TOKEN_HEADER } from '../rpc/caller.ts';
import { domainErrorFromStatus, statusName } from './grpc-errors.ts';
import { grpcServiceDefinition, methodPath } from './service-definition.ts';

export interface GrpcClientOptions {
  /** Deadline of each attempt, from the moment it is sent. */
  readonly deadlineMs: number;
  /**
   * Timeout, retry and circuit breaker every call runs through. Defaults to
   * `createPolicy({ name: service.typeName })` (no metric): pass one built with the service's
   * registry so the breaker state is exported.
   */
  readonly policy?: ResiliencePolicy;
  readonly logger?: Logger;
  /** Defaults to plaintext: inside the cluster the mesh provides mTLS. */
  readonly credentials?: ChannelCredentials;
  /** grpc-js channel options and client interceptors (keepalive, reconnect backoff, ...). */
  readonly channelOptions?: ClientOptions;
  /**
   * The calling component's own credential: its workload token is read for every attempt (the
   * kubelet rotates the file) and sent as `girok-workload`.
   */
  readonly workload?: { token(): Promise<string> };
}

export interface GrpcCallOptions {
  /** Abandons the call (and its retries); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Extra request metadata; `x-request-id` is set from the current context. */
  readonly metadata?: Metadata;
}

/** A typed client: one promise-returning function per method of the service, plus `close()`. */
export type GrpcClient<S extends DescService> = {
  readonly [K in keyof S['method']]: (
    request: MessageInitShape<S['method'][K]['input']>,
    options?: GrpcCallOptions,
  ) => Promise<MessageShape<S['method'][K]['output']>>;
} & { close(): void };

/**
 * A client of a protobuf-es service. Each call carries the current request id (a fresh one
 * outside any request), has a deadline, runs through the resilience policy, and fails with the
 * DomainError the server threw (kind, code, message, field violations, retry-after), rebuilt
 * from `girok-error-bin`; an unreachable server fails as kind UNAVAILABLE.
 */
export function createGrpcClient<S extends DescService>(
  service: S,
  address: string,
  options: GrpcClientOptions,
): GrpcClient<S> {
  const definition = grpcServiceDefinition(service);
  const channel = new Client(
    address,
    options.credentials ?? grpcCredentials.createInsecure(),
    options.channelOptions,
  );
  const policy = options.policy ?? createPolicy({ name: service.typeName });
  const logger = options.logger?.child({ component: 'grpc-client', target: service.typeName });

  const client: Record<string, unknown> = {
    close: () => channel.close(),
  };
  for (const method of service.methods) {
    if (method.localName === 'close') throw new Error(`${service.typeName} has a method named close`);
    const methodDefinition = definition[method.localName];
    if (methodDefinition === undefined) continue;
    const path = methodPath(method);

    const attempt = (request: Message, metadata: Metadata, signal: AbortSignal): Promise<Message> =>
      new Promise<Message>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const startedAt = performance.now();
        let call: ClientUnaryCall | undefined;
        const cancel = () => call?.cancel();
        call = channel.makeUnaryRequest<Message, Message>(
          path,
          methodDefinition.requestSerialize,
          methodDefinition.responseDeserialize,
          request,
          metadata,
          { deadline: Date.now() + options.deadlineMs },
          (error: ServiceError | null, response?: Message) => {
            signal.removeEventListener('abort', cancel);
            if (error === null && response !== undefined) return resolve(response);
            if (signal.aborted) return reject(signal.reason);
            const failure =
              error ??
              Object.assign(new Error('empty response'), {
                code: GrpcStatus.INTERNAL,
                details: '',
                metadata,
              });
            const domainError = domainErrorFromStatus(failure, `${service.name}.${method.name}`);
            logger?.warn(
              {
                method: path,
                grpcCode: statusName(failure.code),
                errorCode: domainError.code,
                durationMs: Math.round(performance.now() - startedAt),
              },
              'grpc call failed',
            );
            reject(domainError);
          },
        );
        signal.addEventListener('abort', cancel, { once: true });
      });

    client[method.localName] = (
      init: MessageInitShape<DescMethod['input']>,
      callOptions: GrpcCallOptions = {},
    ) => {
      const request = create(method.input, init);
      const metadata = callOptions.metadata?.clone() ?? new Metadata();
      // Every attempt of one call carries the same id, so the server's logs tie them together.
      metadata.set(REQUEST_ID_KEY, currentRequestId() ?? requestIdFrom(undefined));
      const workload = options.workload;
      return policy.execute(async (signal) => {
        if (workload !== undefined) metadata.set(WORKLOAD_TOKEN_HEADER, await workload.token());
        return attempt(request, metadata, signal);
      }, callOptions.signal);
    };
  }
  return client as GrpcClient<S>;
}
