import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMethod, DescService, MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { Audience, accessOf, httpOf, WORKLOAD_NAMES } from '@girok/contracts/access';
import { Metadata } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ACCESS_TOKEN_TYP, type TokenType, TokenVerifier } from '../auth/token-verifier.ts';
import { createGrpcClient, type GrpcClient, type GrpcClientOptions } from '../grpc/grpc-client.ts';
import { CallerAuthenticator, WORKLOAD_TOKEN_HEADER } from '../rpc/caller.ts';
import { LocalWorkloadIssuer, type WorkloadTokenSource, WorkloadVerifier } from '../workload/index.ts';

export interface UserTokenClaims {
  readonly accountId: string;
  readonly sessionId?: string;
  readonly scope?: readonly string[];
  readonly tokenType?: TokenType;
  readonly amr?: readonly string[];
  /** Seconds from now; negative for an expired token. Default 900. */
  readonly expiresInSeconds?: number;
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'girok-test-auth';
const AUDIENCE = 'girok';

/**
 * Credentials for suites that start a service without the rest of the platform: a local workload
 * issuer (the same kind of tokens the cluster's issuer hands out) and a stand-in token authority
 * whose JWKS is served on 127.0.0.1, so the service under test verifies real signatures. Suites
 * about access itself use these to forge the wrong credentials; suites about something else use
 * `asDeclared` to present what each RPC's declaration asks for.
 */
export class TestCallers {
  readonly #issuer: LocalWorkloadIssuer;
  readonly #dir: string;
  readonly #server: Server;
  readonly #jwksUrl: string;
  readonly #privateKey: SigningKey;
  readonly #kid: string;

  private constructor(
    issuer: LocalWorkloadIssuer,
    dir: string,
    server: Server,
    jwksUrl: string,
    key: SigningKey,
    kid: string,
  ) {
    this.#issuer = issuer;
    this.#dir = dir;
    this.#server = server;
    this.#jwksUrl = jwksUrl;
    this.#privateKey = key;
    this.#kid = kid;
  }

  static async start(): Promise<TestCallers> {
    const dir = await mkdtemp(join(tmpdir(), 'girok-test-callers-'));
    const issuer = await LocalWorkloadIssuer.open(join(dir, 'workload'));
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const body = JSON.stringify({ keys: [jwk] });
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return new TestCallers(issuer, dir, server, `http://127.0.0.1:${port}/jwks.json`, privateKey, kid);
  }

  /** A CallerAuthenticator that trusts this issuer and this authority (for servers built in a test). */
  authenticator(): CallerAuthenticator {
    return new CallerAuthenticator({
      users: new TokenVerifier({ jwksUrl: this.#jwksUrl, issuer: ISSUER, audience: AUDIENCE }),
      workloads: new WorkloadVerifier({
        issuer: this.#issuer.issuer,
        audience: 'girok',
        jwks: this.#issuer.jwksFile,
        namespace: this.#issuer.namespace,
        serviceAccountPrefix: '',
        components: WORKLOAD_NAMES,
      }),
    });
  }

  /** WORKLOAD_* settings that make a service trust this issuer, and a free metrics port. */
  workloadEnv(): Record<string, string> {
    return {
      WORKLOAD_ISSUER: this.#issuer.issuer,
      WORKLOAD_JWKS_URL: this.#issuer.jwksFile,
      WORKLOAD_NAMESPACE: this.#issuer.namespace,
      WORKLOAD_SERVICE_ACCOUNT_PREFIX: '',
      METRICS_PORT: '0',
    };
  }

  /** workloadEnv plus the stand-in token authority (for a service started without auth-service). */
  env(): Record<string, string> {
    return {
      ...this.workloadEnv(),
      AUTH_JWKS_URL: this.#jwksUrl,
      AUTH_TOKEN_ISSUER: ISSUER,
      AUTH_TOKEN_AUDIENCE: AUDIENCE,
    };
  }

  /** The workload token source of a component (`auth-bff`, ...), or of any ServiceAccount name. */
  workload(component: string): WorkloadTokenSource {
    return this.#issuer.source(component);
  }

  /** A workload token shaped by the issuer (another audience, a short life...). */
  workloadToken(serviceAccount: string, ttlSeconds?: number, audience?: string): Promise<string> {
    return this.#issuer.mint(serviceAccount, ttlSeconds, audience);
  }

  /** An access token of the stand-in authority (for a service configured with `env()`). */
  async userToken(claims: UserTokenClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const tokenType = claims.tokenType ?? 'USER_ACCESS';
    return new SignJWT({
      sid: claims.sessionId ?? randomUUID(),
      token_type: tokenType,
      scope: (claims.scope ?? []).join(' '),
      amr: [...(claims.amr ?? (tokenType === 'USER_ACCESS' ? ['pwd'] : ['pwd', 'otp']))],
    })
      .setProtectedHeader({ alg: 'ES256', typ: ACCESS_TOKEN_TYP, kid: this.#kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.accountId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.expiresInSeconds ?? 900))
      .sign(this.#privateKey);
  }

  /**
   * The credentials `method`'s declaration asks of a well-behaved caller of this request: the
   * workload token of the first workload it names (WORKLOADS), else an access token of the account
   * the request names (or its actor), holding the declared permission.
   */
  async credentialsFor(
    method: DescMethod,
    request: Record<string, unknown>,
  ): Promise<Record<string, string>> {
    const access = accessOf(method);
    if (access.audience === Audience.PUBLIC) return {};
    if (access.audience === Audience.WORKLOADS) {
      return { [WORKLOAD_TOKEN_HEADER]: await this.workload(access.workloads[0] ?? '').token() };
    }
    const field = (name: string) => {
      const local = method.input.fields.find((f) => f.name === name)?.localName ?? '';
      const value = request[local];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const accountId =
      (access.accountField === '' ? undefined : field(access.accountField)) ??
      (access.actorField === '' ? undefined : field(access.actorField)) ??
      randomUUID();
    const elevated = access.audience === Audience.PERMISSION;
    const token = await this.userToken({
      accountId,
      scope: access.permission === '' ? [] : [access.permission],
      tokenType: elevated ? 'ADMIN_ACCESS' : 'USER_ACCESS',
    });
    return { authorization: `Bearer ${token}` };
  }

  /**
   * The credentials a well-behaved REST caller of `verb path` presents (see credentialsFor), for
   * the RPC of `service` that the route belongs to; none for a path that is no RPC's.
   */
  async restHeaders(
    service: DescService,
    verb: string,
    path: string,
    body: unknown,
  ): Promise<Record<string, string>> {
    const pathname = path.split('?')[0] ?? path;
    for (const method of service.methods) {
      const http = httpOf(method);
      if (http === undefined || http.method !== verb.toUpperCase()) continue;
      const pattern = new RegExp(`^${http.path.replace(/\{\w+\}/g, '([^/]+)')}/?$`);
      const match = pattern.exec(pathname);
      if (match === null) continue;
      const request: Record<string, unknown> =
        body !== null && typeof body === 'object' ? { ...(body as Record<string, unknown>) } : {};
      for (const [index, name] of http.pathParams.entries()) {
        const local = method.input.fields.find((f) => f.name === name)?.localName ?? name;
        request[local] = decodeURIComponent(match[index + 1] ?? '');
      }
      return this.credentialsFor(method, request);
    }
    return {};
  }

  /** A gRPC client whose every call presents what the method declares (see credentialsFor). */
  asDeclared<S extends DescService>(service: S, address: string, options: GrpcClientOptions): GrpcClient<S> {
    const inner = createGrpcClient(service, address, options) as unknown as Record<
      string,
      (request: unknown, options?: { metadata?: Metadata; signal?: AbortSignal }) => Promise<unknown>
    >;
    const client: Record<string, unknown> = { close: () => (inner.close as unknown as () => void)() };
    for (const method of service.methods) {
      const call = inner[method.localName];
      if (call === undefined) continue;
      client[method.localName] = async (
        init: MessageInitShape<DescMethod['input']>,
        callOptions: { metadata?: Metadata; signal?: AbortSignal } = {},
      ) => {
        const metadata = callOptions.metadata?.clone() ?? new Metadata();
        const request = create(method.input, init) as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(await this.credentialsFor(method, request))) {
          if (metadata.get(key).length === 0) metadata.set(key, value);
        }
        return call(init, { ...callOptions, metadata });
      };
    }
    return client as GrpcClient<S>;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.#dir, { recursive: true, force: true });
  }
}
