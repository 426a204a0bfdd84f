import type { DescMethod, DescService, Message } from '@bufbuild/protobuf';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** The HTTP/2 path of a method, `/girok.identity.v1.IdentityService/GetAccount`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * A grpc-js service definition built from a protobuf-es descriptor: messages travel as the
 * generated binary encoding, so client and server need no code per method. Keys are the
 * descriptor's `localName` (`getAccount`); the proto name is kept as `originalName`.
 * Only unary methods are supported (every Girok RPC is unary); a streaming one fails fast.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') {
      throw new Error(
        `${service.typeName}/${method.name} is a ${method.methodKind} RPC; only unary RPCs are supported`,
      );
    }
    definition[method.localName] = {
      path: methodPath(method),
      requestStream: false,
      responseStream: false,
      originalName: method.name,
      requestSerialize: (message) => asBuffer(toBinary(method.input, message)),
      requestDeserialize: (bytes) => fromBinary(method.input, bytes),
      responseSerialize: (message) => asBuffer(toBinary(method.output, message)),
      responseDeserialize: (bytes) => fromBinary(method.output, bytes),
    };
  }
  return definition;
}

/** A Buffer view of the encoded bytes, without copying them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
