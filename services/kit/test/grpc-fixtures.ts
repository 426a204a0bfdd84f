import { createServer } from 'node:net';
import type { DescMethod, Message, MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  InterceptingCall,
  type Interceptor,
  Metadata,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { grpcServiceDefinition, methodPath } from '../src/grpc/index.ts';
import { createLogger, type Logger } from '../src/logging/index.ts';

/** A real pino logger whose JSON lines the test can read back. */
export function captureLogger(): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const logger = createLogger(
    { service: 'kit-test', level: 'debug' },
    { write: (line: string) => chunks.push(line) },
  );
  return {
    logger,
    lines: () => chunks.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => chunks.join(''),
  };
}

/** A port nothing listens on (bound and released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Counts the calls that actually reach the grpc-js channel, and their final status codes. */
export function callCounter(): {
  interceptor: Interceptor;
  readonly started: number;
  readonly statuses: number[];
  nextStatus: () => Promise<number>;
} {
  let started = 0;
  const statuses: number[] = [];
  const waiters: ((code: number) => void)[] = [];
  const interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        started++;
        next(metadata, {
          onReceiveStatus(status: StatusObject, nextStatus: (status: StatusObject) => void) {
            statuses.push(status.code);
            waiters.shift()?.(status.code);
            nextStatus(status);
          },
        });
      },
    });
  return {
    interceptor,
    get started() {
      return started;
    },
    statuses,
    nextStatus: () => new Promise<number>((resolve) => waiters.push(resolve)),
  };
}

export interface RawOutcome<T> {
  readonly error: ServiceError | null;
  readonly response: T | undefined;
  readonly headers: Metadata | undefined;
}

/**
 * One unary call through a bare grpc-js Client over {@link grpcServiceDefinition}, with no kit
 * client in between: what any gRPC client (grpcurl, another language) sees on the wire.
 */
export async function rawCall<M extends DescMethod>(
  address: string,
  method: M,
  request: MessageInitShape<M['input']>,
  metadata = new Metadata(),
  deadlineMs = 5_000,
): Promise<RawOutcome<Message>> {
  const definition = grpcServiceDefinition(method.parent)[method.localName];
  if (definition === undefined) throw new Error(`no ${method.localName}`);
  const client = new Client(address, credentials.createInsecure());
  try {
    return await new Promise<RawOutcome<Message>>((resolve) => {
      let headers: Metadata | undefined;
      const call = client.makeUnaryRequest<Message, Message>(
        methodPath(method),
        definition.requestSerialize,
        definition.responseDeserialize,
        create(method.input, request),
        metadata,
        { deadline: Date.now() + deadlineMs },
        (error, response) => resolve({ error, response, headers }),
      );
      call.on('metadata', (received: Metadata) => {
        headers = received;
      });
    });
  } finally {
    client.close();
  }
}
