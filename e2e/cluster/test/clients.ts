import { Resolver } from 'node:dns/promises';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import {
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  type JsonValue,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  type FileDescriptorSet,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import { Browser } from '@girok/e2e/browser';
import { Client, credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * How a client outside the cluster finds the platform: every name through the cluster's CoreDNS
 * (never the machine's resolver), every TLS connection trusting only the suite's CA.
 */
export interface ClusterNetwork {
  /** `ip:port` of the CoreDNS that answers the platform's public names. */
  readonly dnsServer: string;
  /** PEM of the CA the Gateway's certificate is signed by. */
  readonly ca: string;
}

/** A `lookup` for `net`/`tls`/undici/ws that asks CoreDNS for an A record, nothing else. */
export function coreDnsLookup(dnsServer: string): LookupFunction {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([dnsServer]);
  return (hostname, options, callback) => {
    resolver.resolve4(hostname).then(
      (addresses) => {
        const [address] = addresses;
        if (address === undefined) {
          callback(new Error(`CoreDNS has no A record for ${hostname}`), '', 4);
          return;
        }
        if (options.all)
          callback(
            null,
            addresses.map((a) => ({ address: a, family: 4 })),
          );
        else callback(null, address, 4);
      },
      (error: Error) => callback(error, '', 4),
    );
  };
}

/** Resolves one name through CoreDNS (to report what a client will connect to). */
export async function resolveThrough(dnsServer: string, hostname: string): Promise<string[]> {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([dnsServer]);
  return resolver.resolve4(hostname);
}

/** A browser (cookie jar, CSRF, Origin) that reaches `https://<host>` through CoreDNS and the test CA. */
export function clusterBrowser(network: ClusterNetwork, host: string): Browser {
  const lookup = coreDnsLookup(network.dnsServer);
  const dispatcher = new Agent({ connect: { lookup, ca: network.ca }, keepAliveTimeout: 1_000 });
  const transport = {
    origin: `https://${host}`,
    fetch: ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch,
    socketOptions: { lookup, ca: network.ca },
  };
  return new Browser(`https://${host}`, undefined, undefined, transport);
}

/**
 * A gRPC client that knows nothing of Girok's contracts in advance: it asks the server's
 * reflection service for the file that declares `service`, builds the message types from the
 * descriptors it gets back, and calls methods with JSON in and JSON out — what grpcurl does.
 */
export class ReflectionClient {
  readonly #client: Client;
  readonly #target: string;

  constructor(target: string, options: { authority: string; ca: string; lookupAddress: string }) {
    this.#target = target;
    // Connect to the address CoreDNS gave; TLS and :authority still name the public host.
    this.#client = new Client(
      `${options.lookupAddress}:${target.split(':')[1] ?? '443'}`,
      credentials.createSsl(Buffer.from(options.ca)),
      {
        'grpc.ssl_target_name_override': options.authority,
        'grpc.default_authority': options.authority,
      },
    );
  }

  /** The descriptors of the file declaring `symbol` and every file it imports. */
  async describe(symbol: string): Promise<FileDescriptorSet> {
    const reflection = reflectionStub(this.#client);
    const files = new Map<string, Uint8Array>();
    const ask = (request: Record<string, string>) =>
      new Promise<Uint8Array[]>((resolve, reject) => {
        const call = reflection.ServerReflectionInfo();
        call.on('data', (answer: ReflectionAnswer) => {
          if (answer.error_response)
            reject(new Error(`reflection: ${answer.error_response.error_message} (${this.#target})`));
          else resolve(answer.file_descriptor_response?.file_descriptor_proto ?? []);
          call.end();
        });
        call.on('error', reject);
        call.write(request);
      });
    const missing = (bytes: Uint8Array[]) => {
      for (const b of bytes) {
        const file = fromBinary(FileDescriptorProtoSchema, b);
        files.set(file.name, b);
      }
      const wanted = new Set<string>();
      for (const b of files.values())
        for (const dep of fromBinary(FileDescriptorProtoSchema, b).dependency)
          if (!files.has(dep)) wanted.add(dep);
      return [...wanted];
    };
    let todo = missing(await ask({ file_containing_symbol: symbol }));
    while (todo.length > 0) {
      for (const name of todo) missing(await ask({ file_by_filename: name }));
      todo = missing([]);
    }
    return create(FileDescriptorSetSchema, {
      file: [...files.values()].map((b) => fromBinary(FileDescriptorProtoSchema, b)),
    });
  }

  /** Calls `service/method` with a JSON request; resolves with the JSON response or the gRPC error. */
  async call(
    service: string,
    method: string,
    request: JsonValue,
    metadata: Record<string, string> = {},
  ): Promise<JsonValue> {
    const registry = createFileRegistry(await this.describe(service));
    const desc = registry.getService(service)?.methods.find((m) => m.name === method);
    if (desc === undefined) throw new Error(`reflection does not list ${service}/${method}`);
    const md = new Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const input = fromJson(desc.input, request, { registry });
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        `/${service}/${method}`,
        (value: typeof input) => Buffer.from(toBinary(desc.input, value)),
        (bytes: Buffer) => fromBinary(desc.output, bytes),
        input,
        md,
        { deadline: Date.now() + 10_000 },
        (error: ServiceError | null, value) => {
          if (error !== null || value === undefined) reject(error ?? new Error('no response'));
          else resolve(toJson(desc.output, value, { registry }));
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}

interface ReflectionAnswer {
  error_response?: { error_message: string };
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
}

type ReflectionStub = {
  ServerReflectionInfo(): NodeJS.ReadWriteStream & {
    write(request: Record<string, string>): boolean;
    on(event: 'data', listener: (answer: ReflectionAnswer) => void): unknown;
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
};

/** The standard reflection service's stub, from the proto @grpc/reflection ships, on `client`'s channel. */
function reflectionStub(client: Client): ReflectionStub {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const definition = loadSync(file, { keepCase: true, longs: String, defaults: false });
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: new (...args: unknown[]) => ReflectionStub } } };
  };
  const Stub = pkg.grpc.reflection.v1.ServerReflection;
  return new Stub('unused', credentials.createInsecure(), { channelOverride: client.getChannel() });
}
