// Every RPC and every REST route of every service, called with the wrong credentials, is refused
// before anything is written. The cases are generated from the services' descriptors and their
// access declarations: a new RPC is covered without editing this file.
import { randomBytes, randomUUID } from 'node:crypto';
import { type DescMethod, type DescService, type Message, ScalarType } from '@bufbuild/protobuf';
import { loadConfig as loadAuditConfig } from '@girok/audit/config';
import { startAuditService } from '@girok/audit/service';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { Audience, accessOf, httpOf, WORKLOAD_NAMES } from '@girok/contracts/access';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { ensureTopics } from '@girok/e2e/events';
import { infraEnv } from '@girok/e2e/infra';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { DomainError } from '@girok/kit/errors';
import { createGrpcClient, type GrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { WORKLOAD_TOKEN_HEADER } from '@girok/kit/rpc';
import { TestCallers } from '@girok/kit/testing';
import { loadConfig as loadLegalConfig } from '@girok/legal/config';
import { startLegalService } from '@girok/legal/service';
import { Metadata } from '@grpc/grpc-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from './platform.ts';

type Credentials = Record<string, string>;
interface Case {
  readonly name: string;
  /** Whether the case means anything for this method (default: always). */
  readonly applies?: (method: DescMethod) => boolean;
  readonly credentials: (method: DescMethod, target: string) => Promise<Credentials>;
  /** What the declaration makes of these credentials. */
  readonly expect: (method: DescMethod) => 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
}

const SERVICES: readonly { readonly name: string; readonly service: DescService }[] = [
  { name: 'identity', service: IdentityService },
  { name: 'auth', service: AuthService },
  { name: 'legal', service: LegalService },
  { name: 'audit', service: AuditService },
];

const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
const databases = ['access_identity', 'access_auth', 'access_legal'].map((name) => `${name}_${suffix}`);
const databaseUrl = (name: string) => {
  const url = new URL(infraEnv('DATABASE_URL'));
  url.pathname = `/${name}`;
  return url.toString();
};
const key = () => `k1:${randomBytes(32).toString('base64')}`;
const silent = (service: string) => createLogger({ service, level: 'silent' });

let callers: TestCallers;
/** A second authority and issuer nobody trusts: their tokens are "signed by an unknown key". */
let strangers: TestCallers;
const endpoints = new Map<string, { grpc: GrpcClient<DescService>; http: string }>();
const closers: (() => Promise<void>)[] = [];

/** Every row of every table of the three PostgreSQL databases (outbox included). */
async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const database of databases) {
    const client = new pg.Client({ connectionString: databaseUrl(database) });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      for (const { table_name } of rows) {
        const result = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${pg.escapeIdentifier(table_name)}`,
        );
        counts[`${database}.${table_name}`] = Number(result.rows[0]?.n ?? 0);
      }
    } finally {
      await client.end();
    }
  }
  return counts;
}

/** A component the method does not name (there is always one: no method names them all). */
const outsider = (method: DescMethod) =>
  WORKLOAD_NAMES.find((name) => !accessOf(method).workloads.includes(name)) ?? 'nobody';

/** A user token for `accountId`, holding nothing the declaration asks for. */
const plainUser = (accountId: string) =>
  callers.userToken({ accountId }).then((token) => ({ authorization: `Bearer ${token}` }));

const CASES: readonly Case[] = [
  { name: 'anonymous', credentials: async () => ({}), expect: () => 'UNAUTHENTICATED' },
  {
    name: 'an expired access token',
    credentials: async (_method, target) => ({
      authorization: `Bearer ${await callers.userToken({ accountId: target, scope: ['*'], expiresInSeconds: -120 })}`,
    }),
    expect: () => 'UNAUTHENTICATED',
  },
  {
    name: 'an access token signed by an unknown key',
    credentials: async (_method, target) => ({
      authorization: `Bearer ${await strangers.userToken({ accountId: target, scope: ['*'], tokenType: 'ADMIN_ACCESS' })}`,
    }),
    expect: () => 'UNAUTHENTICATED',
  },
  {
    name: "another account's access token",
    // A USER method that names no account serves any user their own rows: nothing to refuse here.
    applies: (method) => {
      const access = accessOf(method);
      return access.audience !== Audience.USER || access.accountField !== '';
    },
    credentials: () => plainUser(randomUUID()),
    // WORKLOADS methods take no user token at all; USER and PERMISSION ones refuse this one.
    expect: (method) =>
      accessOf(method).audience === Audience.WORKLOADS ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
  },
  {
    name: 'the workload token of a component the contract does not name',
    credentials: async (method) => ({
      [WORKLOAD_TOKEN_HEADER]: await callers.workload(outsider(method)).token(),
    }),
    expect: (method) =>
      accessOf(method).audience === Audience.WORKLOADS ? 'PERMISSION_DENIED' : 'UNAUTHENTICATED',
  },
  {
    name: 'a named component with a token of another audience',
    credentials: async (method) => ({
      [WORKLOAD_TOKEN_HEADER]: await callers.workloadToken(
        accessOf(method).workloads[0] ?? 'auth-bff',
        600,
        'kubernetes',
      ),
    }),
    expect: () => 'UNAUTHENTICATED',
  },
  {
    name: 'a named component of a foreign issuer',
    credentials: async (method) => ({
      [WORKLOAD_TOKEN_HEADER]: await strangers.workload(accessOf(method).workloads[0] ?? 'auth-bff').token(),
    }),
    expect: () => 'UNAUTHENTICATED',
  },
];

const HTTP_STATUS = { UNAUTHENTICATED: 401, PERMISSION_DENIED: 403 } as const;

/** The request a case sends: every field naming an account names `target`, ids are fresh UUIDs. */
function requestFor(method: DescMethod, target: string): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const field of method.input.fields) {
    if (field.fieldKind !== 'scalar' || field.scalar !== ScalarType.STRING) continue;
    request[field.localName] = field.name.endsWith('_id') || field.name === 'kid' ? target : 'x';
  }
  return request;
}

/** `/v1/accounts/{account_id}` with every parameter filled from the request. */
function pathFor(path: string, method: DescMethod, request: Record<string, unknown>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const local = method.input.fields.find((f) => f.name === name)?.localName ?? name;
    return encodeURIComponent(String(request[local] ?? randomUUID()));
  });
}

beforeAll(async () => {
  callers = await TestCallers.start();
  strangers = await TestCallers.start();
  await ensureTopics(infraEnv('KAFKA_BROKERS'), TOPICS);
  const common = {
    ...callers.env(),
    VALKEY_URL: infraEnv('VALKEY_URL'),
    KAFKA_BROKERS: infraEnv('KAFKA_BROKERS'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
  };
  const identity = await startIdentityService(
    loadIdentityConfig({
      ...common,
      DATABASE_URL: databaseUrl(databases[0] ?? ''),
      IDENTITY_KEY_RING: key(),
      IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
      DSR_CONSUMER_GROUP: `access-identity-${suffix}`,
    }),
    { logger: silent('identity'), relay: false, dsr: false },
  );
  closers.push(() => identity.close());
  const auth = await startAuthService(
    loadAuthConfig({
      ...common,
      DATABASE_URL: databaseUrl(databases[1] ?? ''),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      AUTH_KEY_RING: key(),
      DSR_CONSUMER_GROUP: `access-auth-${suffix}`,
    }),
    { logger: silent('auth'), workloadTokens: callers.workload('auth-service') },
  );
  closers.push(() => auth.close());
  const legal = await startLegalService(
    loadLegalConfig({
      ...common,
      DATABASE_URL: databaseUrl(databases[2] ?? ''),
      LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      LEGAL_CONSUMER_GROUP: `access-legal-${suffix}`,
    }),
    { logger: silent('legal'), workloadTokens: callers.workload('legal-service') },
  );
  closers.push(() => legal.close());
  const audit = await startAuditService(
    loadAuditConfig({
      ...common,
      CLICKHOUSE_URL: infraEnv('CLICKHOUSE_URL'),
      CLICKHOUSE_DATABASE: `access_audit_${suffix}`,
      AUDIT_CONSUMER_GROUP: `access-audit-${suffix}`,
      DSR_CONSUMER_GROUP: `access-audit-dsr-${suffix}`,
    }),
    { logger: silent('audit') },
  );
  closers.push(() => audit.close());
  const options = () => ({
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'access-test', retry: { maxRetries: 0 } }),
  });
  for (const [name, service, running] of [
    ['identity', IdentityService, identity],
    ['auth', AuthService, auth],
    ['legal', LegalService, legal],
    ['audit', AuditService, audit],
  ] as const) {
    const grpc = createGrpcClient(service as DescService, running.grpcAddress, options());
    closers.push(async () => grpc.close());
    endpoints.set(name, { grpc, http: running.httpUrl });
  }
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
  await admin.connect();
  for (const database of databases)
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  await admin.end();
  await fetch(
    `${infraEnv('CLICKHOUSE_URL')}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS access_audit_${suffix}`)}`,
    { method: 'POST' },
  );
  await callers.close();
  await strangers.close();
});

describe.each(SERVICES)(
  '$name: every RPC refuses callers its declaration does not admit',
  ({ name, service }) => {
    const guarded = service.methods.filter((method) => accessOf(method).audience !== Audience.PUBLIC);

    it('declares every RPC and guards all but the public ones', () => {
      expect(guarded.length).toBeGreaterThan(0);
      for (const method of service.methods) expect(() => accessOf(method)).not.toThrow();
    });

    it.each(guarded.map((method) => [method.name, method] as const))(
      '%s: gRPC and REST',
      async (_, method) => {
        const endpoint = endpoints.get(name);
        if (endpoint === undefined) throw new Error(`${name} did not start`);
        const before = await rowCounts();
        const http = httpOf(method);
        for (const testCase of CASES.filter((c) => c.applies?.(method) ?? true)) {
          const target = randomUUID();
          const request = requestFor(method, target);
          const credentials = await testCase.credentials(method, target);
          const want = testCase.expect(method);

          const metadata = new Metadata();
          for (const [header, value] of Object.entries(credentials)) metadata.set(header, value);
          const call = (
            endpoint.grpc as unknown as Record<string, (r: unknown, o: unknown) => Promise<Message>>
          )[method.localName];
          const failure = await call?.(request, { metadata }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(failure, `${method.name} over gRPC with ${testCase.name}`).toBeInstanceOf(DomainError);
          expect((failure as DomainError).kind, `${method.name} over gRPC with ${testCase.name}`).toBe(want);

          if (http === undefined) continue;
          const withBody = http.method !== 'GET' && http.method !== 'DELETE';
          const response = await fetch(`${endpoint.http}${pathFor(http.path, method, request)}`, {
            method: http.method,
            headers: { ...credentials, ...(withBody ? { 'content-type': 'application/json' } : {}) },
            ...(withBody ? { body: '{}' } : {}),
          });
          const body = (await response.json()) as { code?: string };
          expect(response.status, `${http.method} ${http.path} with ${testCase.name}: ${body.code}`).toBe(
            HTTP_STATUS[want],
          );
          expect(response.headers.get('content-type')).toContain('application/problem+json');
        }
        expect(await rowCounts()).toEqual(before);
      },
    );
  },
);

describe('input is data, never structure', () => {
  it('query keys never reach an inherited property: refused before (anonymous) or at (signed in) parsing', async () => {
    const legal = endpoints.get('legal')?.http ?? '';
    const polluting = ['__proto__.polluted=1', 'constructor.prototype.polluted=1', '__proto__[polluted]=1'];
    const token = await callers.userToken({ accountId: randomUUID() });
    for (const query of polluting) {
      const anonymous = await fetch(`${legal}/v1/laws?${query}`);
      expect(anonymous.status).toBe(401);
      const signedIn = await fetch(`${legal}/v1/laws?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(signedIn.status, query).toBe(400);
      expect(((await signedIn.json()) as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
    // The services run in this process: a polluted prototype would show here, and metrics would break.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const health = await fetch(`${legal}/health/live`);
    expect(health.status).toBe(200);
    const laws = await fetch(`${legal}/v1/laws`, { headers: { authorization: `Bearer ${token}` } });
    expect(laws.status).toBe(200);
  });
});
