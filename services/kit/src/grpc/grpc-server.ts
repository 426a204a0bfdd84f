import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  createFileRegistry,
  type DescMethod,
  type DescService,
  fromBinary,
  toBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { accessOf, isPublished } from '@girok/contracts/access';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import type { Logger } from '../logging/logger.ts';
import { type CallerAuthenticator, WORKLOAD_TOKEN_HEADER } from '../rpc/caller.ts';
import { grpcServiceDefinition } from './service-definition.ts';
import {
  type CallGuard,
  type InFlight,
  type ServiceHandlers,
  serveUnary,
  type UnaryHandler,
} from './unary-handler.ts';

export type { ServingStatus } from 'grpc-health-check';

/** The fully-qualified name of the standard health service, as reflection lists it. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** A service and the handlers that implement (some of) its methods. */
export interface ServiceImplementation<S extends DescService = DescService> {
  readonly service: S;
  readonly handlers: ServiceHandlers<S>;
}

export interface GrpcServerOptions<T extends readonly DescService[]> {
  readonly logger: Logger;
  /**
   * A buf image (or FileDescriptorSet) holding the served services, for server reflection.
   * Defaults to the contracts image, `@girok/contracts/image.binpb`.
   */
  readonly imagePath?: string;
  readonly services: { readonly [K in keyof T]: ServiceImplementation<T[K]> };
  /** Enforces every method's access declaration before its handler runs. */
  readonly callers: CallerAuthenticator;
}

const first = (values: readonly (string | Buffer)[]): string | undefined => {
  const value = values[0];
  return value === undefined ? undefined : value.toString();
};

/**
 * A grpc-js server for protobuf-es services, with grpc.health.v1 and server reflection.
 * Every call goes through {@link serveUnary}: request id, deadline, safe errors, one log line.
 */
export class GrpcServer {
  readonly #server = new Server();
  readonly #health: HealthImplementation;
  readonly #logger: Logger;
  readonly #serviceNames: readonly string[];
  readonly #inFlight: InFlight = { count: 0 };
  readonly #guard: CallGuard;
  #port: number | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(options: GrpcServerOptions<readonly DescService[]>) {
    this.#logger = options.logger.child({ component: 'grpc-server' });
    this.#serviceNames = options.services.map(({ service }) => service.typeName);
    const callers = options.callers;
    this.#guard = (method, request, metadata) =>
      callers.check(
        method,
        {
          authorization: first(metadata.get('authorization')),
          workload: first(metadata.get(WORKLOAD_TOKEN_HEADER)),
        },
        request,
      );
    // NOT_SERVING until listen(): a probe that reaches a half-started server must not pass.
    this.#health = new HealthImplementation(
      Object.fromEntries(['', ...this.#serviceNames].map((name) => [name, 'NOT_SERVING' as const])),
    );
    this.#health.addToServer(this.#server);
    for (const { service, handlers } of options.services) {
      this.#server.addService(grpcServiceDefinition(service), this.#implementation(service, handlers));
    }
    const contracts = publishedContracts(readFileSync(options.imagePath ?? contractsImagePath()));
    const reflection = new ReflectionService(reflectionPackage(contracts.descriptors), {
      services: [...contracts.services, HEALTH_SERVICE],
    });
    reflection.addToServer(this.#server);
  }

  /** The bound port once listening (useful after `listen(host, 0)`). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Binds and starts serving; resolves with the bound port. All services report SERVING. */
  async listen(host: string, port: number): Promise<number> {
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.#port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
        error === null
          ? resolve(bound)
          : reject(new Error(`gRPC server could not bind ${address}`, { cause: error })),
      );
    });
    this.#setAll('SERVING');
    this.#logger.info({ host, port: this.#port, services: this.#serviceNames }, 'gRPC server listening');
    return this.#port;
  }

  /** Health status of one service (`''` is the whole server), e.g. NOT_SERVING while a dependency is down. */
  setServingStatus(service: string, status: ServingStatus): void {
    this.#health.setStatus(service, status);
  }

  /**
   * Graceful drain: health turns NOT_SERVING, no new calls are accepted, in-flight calls finish;
   * whatever is still running after `graceMs` is cancelled. Safe to call more than once.
   */
  shutdown(graceMs: number): Promise<void> {
    this.#shutdown ??= new Promise<void>((resolve) => {
      this.#setAll('NOT_SERVING');
      this.#logger.info({ inFlight: this.#inFlight.count, graceMs }, 'gRPC server draining');
      const force = setTimeout(() => {
        this.#logger.warn(
          { inFlight: this.#inFlight.count },
          'gRPC drain timed out; cancelling calls in flight',
        );
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        this.#logger.info('gRPC server stopped');
        resolve();
      });
    });
    return this.#shutdown;
  }

  #setAll(status: ServingStatus): void {
    for (const name of ['', ...this.#serviceNames]) this.#health.setStatus(name, status);
  }

  #implementation(
    service: DescService,
    handlers: ServiceHandlers<DescService>,
  ): UntypedServiceImplementation {
    const implementation: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      accessOf(method); // a method that declares no access is never served
      const handler = handlers[method.localName] as UnaryHandler<DescMethod> | undefined;
      // A method without a handler still gets served: it answers UNIMPLEMENTED with a trailer.
      implementation[method.localName] = serveUnary(
        method,
        handler,
        this.#logger,
        this.#inFlight,
        this.#guard,
      );
    }
    return implementation;
  }
}

/**
 * `createGrpcServer({ logger, services: [{ service: IdentityService, handlers: { getAccount } }] })`:
 * each entry's handlers are checked against its own service descriptor.
 */
export function createGrpcServer<const T extends readonly DescService[]>(
  options: GrpcServerOptions<T>,
): GrpcServer {
  return new GrpcServer(options as GrpcServerOptions<readonly DescService[]>);
}

function contractsImagePath(): string {
  return createRequire(import.meta.url).resolve('@girok/contracts/image.binpb');
}

/**
 * The contracts as outsiders may see them, which is what reflection describes: every service with
 * only its published methods (a WORKLOADS-only RPC is left out, as the Gateway leaves it out), so
 * any component answers for the platform's whole public gRPC API and discloses nothing more.
 */
export function publishedContracts(image: Uint8Array): { descriptors: Uint8Array; services: string[] } {
  const set = fromBinary(FileDescriptorSetSchema, image);
  const registry = createFileRegistry(set);
  const services: string[] = [];
  for (const file of set.file) {
    for (const service of file.service) {
      const typeName = file.package ? `${file.package}.${service.name}` : service.name;
      const desc = registry.getService(typeName);
      const published = new Set(
        desc?.methods.filter((m) => isPublished(accessOf(m))).map((m) => m.name) ?? [],
      );
      service.method = service.method.filter((m) => published.has(m.name));
      if (service.method.length > 0) services.push(typeName);
    }
  }
  return { descriptors: toBinary(FileDescriptorSetSchema, set), services };
}

/**
 * The package definition reflection answers from: the published contracts plus grpc.health.v1.
 * proto-loader re-serializes the files through protobufjs, which writes type references relative
 * (`common.v1.PageRequest`); clients that build descriptors strictly (protobuf-es, protoc-based
 * tools) refuse those, so every entry carries the image's own files, names fully qualified.
 */
function reflectionPackage(descriptors: Uint8Array) {
  const definition = loadFileDescriptorSetFromBuffer(Buffer.from(descriptors));
  const files = fromBinary(FileDescriptorSetSchema, descriptors).file.map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file)),
  );
  for (const entry of Object.values(definition))
    if ('fileDescriptorProtos' in entry) entry.fileDescriptorProtos = files;
  return { ...definition, ...loadSync(healthProtoPath) };
}
