import { connect } from 'node:http2';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import {
  type Client,
  type ClientDuplexStream,
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRequestId, runWithContext } from '../src/context/index.ts';
import { DomainError } from '../src/errors/index.ts';
import {
  type CallContext,
  createGrpcClient,
  createGrpcServer,
  ERROR_DETAIL_KEY,
  errorDetailFrom,
  type GrpcServer,
} from '../src/grpc/index.ts';
import { createPolicy } from '../src/resilience/index.ts';
import { TestCallers } from '../src/testing/index.ts';
import { captureLogger, rawCall } from './grpc-fixtures.ts';

// The servers here trust this issuer and authority; clients call as the BFF (which GetAccount and
// CreateAccount admit), so these suites exercise the plumbing behind a real access check.
const callers = await TestCallers.start();
afterAll(() => callers.close());

const DRIVER_TEXT = 'password authentication failed for user "identity" at 10.0.0.5:5432';

/** What the handlers saw, so tests can check the server side of each call. */
interface Seen {
  requestIds: (string | undefined)[];
  contexts: CallContext[];
  slowAborted?: Promise<unknown>;
}

function startIdentity(seen: Seen, logger = captureLogger().logger): GrpcServer {
  return createGrpcServer({
    callers: callers.authenticator(),
    logger,
    services: [
      {
        service: IdentityService,
        handlers: {
          getAccount: async (request, call) => {
            seen.requestIds.push(currentRequestId());
            seen.contexts.push(call);
            if (request.accountId === 'boom') throw new Error(DRIVER_TEXT);
            if (request.accountId === 'locked') {
              throw new DomainError('RESOURCE_EXHAUSTED', 'ACCOUNT_LOCKED', 'Too many attempts', {
                retryAfterSeconds: 900,
              });
            }
            if (request.accountId === 'slow') {
              seen.slowAborted = new Promise((resolve) =>
                call.signal.addEventListener('abort', () => resolve(call.signal.reason), { once: true }),
              );
              await seen.slowAborted;
              throw new Error('aborted work must not be answered');
            }
            if (request.accountId.startsWith('wait-')) await sleep(Number(request.accountId.slice(5)));
            return { account: { id: request.accountId, email: 'ada@example.com', locale: 'en-US' } };
          },
          createAccount: async () => {
            throw new DomainError('INVALID_ARGUMENT', 'ACCOUNT_INVALID', 'The account has invalid fields', {
              fieldViolations: [
                { field: 'email', description: 'must be an email address' },
                { field: 'password', description: 'must be at least 8 characters' },
              ],
            });
          },
        },
      },
    ],
  });
}

describe('gRPC server and client over a real connection', () => {
  const seen: Seen = { requestIds: [], contexts: [] };
  const logs = captureLogger();
  let server: GrpcServer;
  let address: string;
  let client: ReturnType<typeof createGrpcClient<typeof IdentityService>>;

  beforeAll(async () => {
    server = startIdentity(seen, logs.logger);
    address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    client = createGrpcClient(IdentityService, address, {
      workload: callers.workload('auth-bff'),
      deadlineMs: 2_000,
      policy: createPolicy({ name: 'identity-service', retry: { maxRetries: 0 } }),
    });
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(1_000);
  });

  it('answers a call with the typed response', async () => {
    const response = await client.getAccount({ accountId: 'acc-1' });
    expect(response.account?.id).toBe('acc-1');
    expect(response.account?.email).toBe('ada@example.com');
  });

  it('a DomainError with field violations arrives at the client as the same DomainError', async () => {
    const error = await client
      .createAccount({ email: 'nope', password: 'short', username: 'ada' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: 'INVALID_ARGUMENT',
      code: 'ACCOUNT_INVALID',
      message: 'The account has invalid fields',
    });
    expect((error as DomainError).fieldViolations.map((v) => v.field)).toEqual(['email', 'password']);
    expect((error as DomainError).fieldViolations[1]?.description).toBe('must be at least 8 characters');
  });

  it('retry-after crosses the hop with the error', async () => {
    const error = await client.getAccount({ accountId: 'locked' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'RESOURCE_EXHAUSTED',
      code: 'ACCOUNT_LOCKED',
      retryAfterSeconds: 900,
    });
  });

  it('an unexpected error arrives as INTERNAL with the request id and no internal text', async () => {
    const metadata = new Metadata();
    metadata.set('x-request-id', 'req-boom-1');
    metadata.set('girok-workload', await callers.workload('auth-bff').token());
    const raw = await rawCall(address, IdentityService.method.getAccount, { accountId: 'boom' }, metadata);
    expect(raw.error?.code).toBe(status.INTERNAL);
    expect(raw.error?.details).toBe('Internal error (request id req-boom-1)');
    expect(raw.error?.metadata.get(ERROR_DETAIL_KEY)).toHaveLength(1);
    const detail = errorDetailFrom(raw.error?.metadata);
    expect(detail).toMatchObject({
      code: 'INTERNAL',
      message: 'Internal error',
      correlationId: 'req-boom-1',
    });
    const onTheWire = JSON.stringify([raw.error?.details, raw.error?.metadata.getMap()]);
    expect(onTheWire).not.toContain('password');
    expect(onTheWire).not.toContain('10.0.0.5');

    const typed = await client.getAccount({ accountId: 'boom' }).catch((e: unknown) => e);
    expect(typed).toMatchObject({ kind: 'INTERNAL', code: 'INTERNAL', message: 'Internal error' });
    expect((typed as Error).message).not.toContain('password');

    // The real error is only in the server's log, tied to the request id.
    const line = logs.lines().find((l) => l.requestId === 'req-boom-1');
    expect(line).toMatchObject({ grpcCode: 'INTERNAL', errorCode: 'INTERNAL' });
    expect(JSON.stringify(line?.err)).toContain(DRIVER_TEXT.slice(0, 20));
  });

  it('a method without a handler answers UNIMPLEMENTED', async () => {
    const error = await client.listAccounts({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'INTERNAL', code: 'UNIMPLEMENTED' });
    const raw = await rawCall(address, IdentityService.method.listAccounts, {});
    expect(raw.error?.code).toBe(status.UNIMPLEMENTED);
  });

  it('the client request id is seen in the handler context and echoed in the response', async () => {
    seen.requestIds.length = 0;
    await runWithContext({ requestId: 'req-from-bff-42' }, () => client.getAccount({ accountId: 'acc-2' }));
    expect(seen.requestIds).toEqual(['req-from-bff-42']);
    expect(seen.contexts.at(-1)?.requestId).toBe('req-from-bff-42');
    expect(seen.contexts.at(-1)?.peer).toMatch(/^127\.0\.0\.1:\d+$/);

    const metadata = new Metadata();
    metadata.set('x-request-id', 'req-echo-7');
    metadata.set('girok-workload', await callers.workload('auth-bff').token());
    const raw = await rawCall(address, IdentityService.method.getAccount, { accountId: 'acc-3' }, metadata);
    expect(raw.error).toBeNull();
    expect(raw.headers?.get('x-request-id')).toEqual(['req-echo-7']);
  });

  it('mints a request id when the caller sends none (or an unsafe one), and echoes it', async () => {
    const metadata = new Metadata();
    metadata.set('x-request-id', 'not a valid id; drop table');
    metadata.set('girok-workload', await callers.workload('auth-bff').token());
    const raw = await rawCall(address, IdentityService.method.getAccount, { accountId: 'acc-4' }, metadata);
    const echoed = raw.headers?.get('x-request-id')[0];
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.requestIds.at(-1)).toBe(echoed);
  });

  it('a call whose deadline passes is DEADLINE_EXCEEDED and the handler signal aborts', async () => {
    const deadlined = createGrpcClient(IdentityService, address, {
      workload: callers.workload('auth-bff'),
      deadlineMs: 150,
      policy: createPolicy({ name: 'identity-service', retry: { maxRetries: 0 } }),
    });
    try {
      const started = performance.now();
      const error = await deadlined.getAccount({ accountId: 'slow' }).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(error).toMatchObject({ kind: 'DEADLINE_EXCEEDED', code: 'DEADLINE_EXCEEDED' });
      const reason = await seen.slowAborted;
      expect(reason).toMatchObject({ kind: 'DEADLINE_EXCEEDED' });
      expect(seen.contexts.at(-1)?.signal.aborted).toBe(true);
      expect(seen.contexts.at(-1)?.deadline).toBeInstanceOf(Date);
    } finally {
      deadlined.close();
    }
  });

  it('a call that arrives with its deadline already spent is rejected without running the handler', async () => {
    const before = seen.requestIds.length;
    // A bare HTTP/2 gRPC request: no client library would send a deadline that has passed.
    const grpcStatus = await http2Call(address, '/girok.identity.v1.IdentityService/GetAccount', {
      'grpc-timeout': '1n',
      'x-request-id': 'req-late-1',
    });
    expect(grpcStatus).toBe(String(status.DEADLINE_EXCEEDED));
    expect(seen.requestIds.length).toBe(before);
  });

  it('writes one log line per call with method, gRPC code, duration and request id, never the body', async () => {
    await runWithContext({ requestId: 'req-log-1' }, () =>
      client
        .createAccount({ email: 'ada@example.com', password: 'CorrectHorse-Battery9' })
        .catch(() => undefined),
    );
    const lines = logs.lines().filter((l) => l.requestId === 'req-log-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'grpc call',
      method: '/girok.identity.v1.IdentityService/CreateAccount',
      grpcCode: 'INVALID_ARGUMENT',
      errorCode: 'ACCOUNT_INVALID',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(logs.text()).not.toContain('CorrectHorse');
  });

  it('health reports SERVING for the server and each service, NOT_FOUND for others', async () => {
    const health = healthClient(address);
    try {
      expect(await check(health, '')).toBe('SERVING');
      expect(await check(health, 'girok.identity.v1.IdentityService')).toBe('SERVING');
      await expect(check(health, 'girok.nope.v1.Nope')).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      health.close();
    }
  });

  it('reflection lists the served services and resolves their descriptors', async () => {
    const reflection = reflectionClient(address);
    try {
      const listed = await reflect(reflection, { listServices: '*' });
      const names = (listed.listServicesResponse?.service ?? []).map((s) => s.name);
      expect(names).toContain('girok.identity.v1.IdentityService');
      expect(names).toContain('grpc.health.v1.Health');

      const file = await reflect(reflection, { fileContainingSymbol: 'girok.identity.v1.IdentityService' });
      expect(file.fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(0);
      // It describes what outsiders may call: GetAccount (USER) is there, Authenticate (only the
      // BFF's workload may call it) is not, as the Gateway does not route it.
      const methods = (file.fileDescriptorResponse?.fileDescriptorProto ?? [])
        .map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
        .flatMap((f) => f.service.filter((x) => x.name === 'IdentityService'))
        .flatMap((x) => x.method.map((m) => m.name));
      expect(methods).toContain('GetAccount');
      expect(methods).not.toContain('Authenticate');
      expect(methods).not.toContain('CreateAccount');
      // Type references fully qualified, as protoc writes them (protobufjs would make them relative).
      const references = (file.fileDescriptorResponse?.fileDescriptorProto ?? [])
        .map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
        .flatMap((f) => f.messageType.flatMap((m) => m.field.map((x) => x.typeName)))
        .filter((name) => name !== '');
      expect(references.length).toBeGreaterThan(0);
      expect(references.filter((name) => !name.startsWith('.'))).toEqual([]);
    } finally {
      reflection.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('health turns NOT_SERVING when shutdown starts', async () => {
    const server = startIdentity({ requestIds: [], contexts: [] });
    const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const health = healthClient(address);
    try {
      expect(await check(health, 'girok.identity.v1.IdentityService')).toBe('SERVING');
      const watch = health.watch({ service: 'girok.identity.v1.IdentityService' });
      const updates: string[] = [];
      const notServing = new Promise<void>((resolve) =>
        watch.on('data', (update: { status: string }) => {
          updates.push(update.status);
          if (update.status === 'NOT_SERVING') resolve();
        }),
      );
      watch.on('error', () => undefined);
      while (updates.length === 0) await sleep(5);
      const stopped = server.shutdown(2_000);
      await notServing;
      watch.cancel();
      await stopped;
      expect(updates).toEqual(['SERVING', 'NOT_SERVING']);
    } finally {
      health.close();
      await server.shutdown(0);
    }
  });

  it('lets a call in flight finish, then refuses new ones', async () => {
    const server = startIdentity({ requestIds: [], contexts: [] });
    const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const client = createGrpcClient(IdentityService, address, {
      workload: callers.workload('auth-bff'),
      deadlineMs: 5_000,
      policy: createPolicy({ name: 'identity-service', retry: { maxRetries: 0 } }),
    });
    try {
      const inFlight = client.getAccount({ accountId: 'wait-300' });
      await sleep(100);
      const started = performance.now();
      await server.shutdown(5_000);
      // shutdown waited for the call rather than cutting it off
      expect(performance.now() - started).toBeGreaterThan(100);
      await expect(inFlight).resolves.toMatchObject({ account: { id: 'wait-300' } });
      await expect(client.getAccount({ accountId: 'after' })).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    } finally {
      client.close();
    }
  });

  it('cancels calls still running when the grace period ends', async () => {
    const seen: Seen = { requestIds: [], contexts: [] };
    const server = startIdentity(seen);
    const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const client = createGrpcClient(IdentityService, address, {
      workload: callers.workload('auth-bff'),
      deadlineMs: 5_000,
      policy: createPolicy({ name: 'identity-service', retry: { maxRetries: 0 } }),
    });
    try {
      const stuck = client.getAccount({ accountId: 'slow' }).catch((e: unknown) => e);
      while (seen.slowAborted === undefined) await sleep(5);
      const started = performance.now();
      await server.shutdown(100);
      expect(performance.now() - started).toBeLessThan(1_000);
      await expect(seen.slowAborted).resolves.toMatchObject({ name: 'AbortError' });
      expect(await stuck).toMatchObject({ kind: 'UNAVAILABLE' });
    } finally {
      client.close();
    }
  });
});

// --- grpc.health.v1 and grpc.reflection.v1 clients built from their published protos ---

type HealthClient = Client & {
  check(
    request: { service: string },
    callback: (error: Error | null, response?: { status: string }) => void,
  ): void;
  watch(request: { service: string }): NodeJS.EventEmitter & { cancel(): void };
};

function healthClient(address: string): HealthClient {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: unknown) => HealthClient } } };
  };
  return new pkg.grpc.health.v1.Health(address, credentials.createInsecure());
}

function check(health: HealthClient, service: string): Promise<string | undefined> {
  return new Promise((resolve, reject) =>
    health.check({ service }, (error, response) => (error ? reject(error) : resolve(response?.status))),
  );
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
}
type ReflectionClient = Client & {
  serverReflectionInfo(): ClientDuplexStream<Record<string, string>, ReflectionResponse>;
};

function reflectionClient(address: string): ReflectionClient {
  const protoFile = createRequire(import.meta.url).resolve(
    '@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
  );
  const pkg = loadPackageDefinition(loadSync(protoFile, { oneofs: true })) as unknown as {
    grpc: {
      reflection: { v1: { ServerReflection: new (address: string, creds: unknown) => ReflectionClient } };
    };
  };
  return new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
}

function reflect(client: ReflectionClient, request: Record<string, string>): Promise<ReflectionResponse> {
  return new Promise((resolve, reject) => {
    const stream = client.serverReflectionInfo();
    stream.on('data', (response: ReflectionResponse) => {
      resolve(response);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

/** Sends one empty unary request over plain HTTP/2 and returns the grpc-status it ends with. */
async function http2Call(address: string, path: string, headers: Record<string, string>): Promise<string> {
  const session = connect(`http://${address}`);
  try {
    return await new Promise<string>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...headers,
      });
      let grpcStatus: string | undefined;
      const take = (h: Record<string, unknown>) => {
        if (typeof h['grpc-status'] === 'string') grpcStatus = h['grpc-status'];
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('error', reject);
      stream.on('close', () =>
        grpcStatus === undefined ? reject(new Error('no grpc-status')) : resolve(grpcStatus),
      );
      stream.resume();
      // One uncompressed, zero-length message: an empty GetAccountRequest.
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } finally {
    session.close();
  }
}
