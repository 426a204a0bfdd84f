import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { DescService } from '@bufbuild/protobuf';
import { accessOf } from '@girok/contracts/access';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { AccountMode, IdentityService } from '@girok/contracts/identity/v1/identity';
import { ensureTopics, groupAtEnd } from '@girok/e2e/events';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { type RunningIdentityService, startIdentityService } from '@girok/identity/service';
import { TokenVerifier, type TokenVerifierOptions } from '@girok/kit/auth';
import { DomainError } from '@girok/kit/errors';
import type { GrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { type RunningAuthService, type StartOptions, startAuthService } from '../src/auth-service.ts';
import { type AuthConfig, loadConfig } from '../src/config.ts';
import type { AuthDatabase } from '../src/schema/database.ts';
import type { Clock } from '../src/tokens.ts';

export const AUTH_TOPICS = ['auth.role.v1', 'auth.sanction.v1', 'audit.event.v1'];
/** Where legal-service asks for data-subject requests and auth answers them. */
export const DSR_TOPIC = 'legal.dsr.v1';

/** A clock the test moves forward instead of waiting (key ages, ban ends). */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export function env(name: string): string {
  const value = inject('infraEnv')[name];
  if (value === undefined) throw new Error(`${name} was not provided by the harness`);
  return value;
}

export function freshDatabaseUrl(prefix: string): URL {
  const url = new URL(env('DATABASE_URL'));
  url.pathname = `/${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return url;
}

export async function dropDatabase(url: URL): Promise<void> {
  const admin = new pg.Client({ connectionString: env('DATABASE_URL') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(url.pathname.slice(1))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * A real identity-service (its compiled package) on its own fresh database, random ports, no relay.
 * It trusts `callers`' workload issuer (auth-service calls it as itself) and token authority (the
 * suites call it as the BFF and users would, through `asDeclared`).
 */
export async function startIdentity(callers: TestCallers): Promise<{
  service: RunningIdentityService;
  grpc: GrpcClient<typeof IdentityService>;
  close(): Promise<void>;
}> {
  const url = freshDatabaseUrl('auth_identity_test');
  const config = loadIdentityConfig({
    ...callers.env(),
    DATABASE_URL: url.toString(),
    VALKEY_URL: env('VALKEY_URL'),
    IDENTITY_KEY_RING: `k1:${randomBytes(32).toString('base64')}`,
    IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
    SHUTDOWN_GRACE_MS: '1000',
  });
  // Its events are not what these suites are about: no relay, no identity topics needed.
  const service = await startIdentityService(config, {
    relay: false,
    logger: createLogger({ service: 'identity-test', level: 'silent' }),
  });
  const grpc = callers.asDeclared(IdentityService, service.grpcAddress, {
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'identity-test', retry: { maxRetries: 0 } }),
  });
  return {
    service,
    grpc,
    close: async () => {
      grpc.close();
      await service.close();
      await dropDatabase(url);
    },
  };
}

const SUPER_ADMIN_ROLE = '00000000-0000-7000-8000-000000000001';

export interface TestAuth {
  readonly service: RunningAuthService;
  readonly config: AuthConfig;
  /**
   * Calls as each RPC declares (see TestCallers.asDeclared); admin calls that name no actor act as
   * `root`, since the kit makes every caller the actor and role changes need an actor who outranks.
   */
  readonly grpc: GrpcClient<typeof AuthService>;
  /** A super_admin (level 100) granted in the database: the bootstrap a fresh platform needs too. */
  readonly root: string;
  /** The workload issuer and token authority this service trusts (forge credentials with it). */
  readonly callers: TestCallers;
  /** Direct access to auth's own database, for asserting what was (not) written. */
  readonly db: Kysely<AuthDatabase>;
  readonly clock: TestClock;
  /** The AUTH_KEY_RING it runs with: a second replica needs the same one to decrypt the keys. */
  readonly ringText: string;
  /** REST as a well-behaved caller: the credentials the route's RPC declares. */
  rest(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** The kit's verifier against this service's real /.well-known/jwks.json. */
  verifier(options?: Partial<TokenVerifierOptions>): TokenVerifier;
  close(): Promise<void>;
}

export interface TestAuthOptions extends StartOptions {
  /** The issuer and authority it trusts (default: its own, closed with it). */
  readonly callers?: TestCallers;
  /**
   * Which access tokens it accepts: `test` (default) the stand-in authority's, so suites about
   * RBAC and sanctions present any permission; `own` those it issues itself (AUTH_JWKS_URL unset).
   */
  readonly accessTokens?: 'test' | 'own';
}

/**
 * auth-service on a fresh database (or `DATABASE_URL` given in `overrides`, for a second replica),
 * random ports, a test clock, talking to the given identity address as the workload auth-service.
 */
export async function startAuth(
  identityGrpcAddress: string,
  overrides: Record<string, string> = {},
  testOptions: TestAuthOptions = {},
): Promise<TestAuth> {
  const { callers: shared, accessTokens = 'test', ...options } = testOptions;
  const callers = shared ?? (await TestCallers.start());
  const url = overrides.DATABASE_URL === undefined ? freshDatabaseUrl('auth_test') : undefined;
  const brokers = env('KAFKA_BROKERS').split(',');
  if (options.relay !== false || options.dsr === true)
    await ensureTopics(brokers.join(','), [...AUTH_TOPICS, DSR_TOPIC]);
  // Only suites that ask answer data-subject requests: on the shared broker an instance answers
  // every request naming auth-service, other suites' included.
  const dsrGroup =
    options.dsr === true ? await groupAtEnd(brokers.join(','), DSR_TOPIC, 'auth-test') : undefined;
  const ringText = overrides.AUTH_KEY_RING ?? `k1:${randomBytes(32).toString('base64')}`;
  const config = loadConfig({
    ...(accessTokens === 'test' ? callers.env() : callers.workloadEnv()),
    DATABASE_URL: url?.toString(),
    KAFKA_BROKERS: brokers.join(','),
    IDENTITY_GRPC_ADDRESS: identityGrpcAddress,
    AUTH_KEY_RING: ringText,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '1000',
    ...(dsrGroup === undefined ? {} : { DSR_CONSUMER_GROUP: dsrGroup.groupId }),
    ...overrides,
  });
  const clock = new TestClock();
  const service = await startAuthService(config, {
    clock,
    logger: createLogger({ service: 'auth-test', level: 'silent' }),
    dsr: false,
    workloadTokens: callers.workload('auth-service'),
    ...options,
  });
  const db = new Kysely<AuthDatabase>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.databaseUrl, max: 2 }) }),
  });
  const root = randomUUID();
  await grantInDatabase(db, root, SUPER_ADMIN_ROLE);
  const declared = callers.asDeclared(AuthService, service.grpcAddress, {
    deadlineMs: 15_000,
    policy: createPolicy({ name: 'auth-test', retry: { maxRetries: 0 } }),
  });
  const grpc = actingAs(AuthService, declared, root);
  return {
    service,
    config,
    grpc,
    root,
    callers,
    db,
    clock,
    ringText,
    rest: async (method, path, body, headers = {}) =>
      fetch(`${service.httpUrl}${path}`, {
        method,
        headers: {
          ...(await callers.restHeaders(AuthService, method, path, body)),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    verifier: (options = {}) =>
      new TokenVerifier({
        jwksUrl: `${service.httpUrl}/.well-known/jwks.json`,
        issuer: config.token.issuer,
        audience: config.token.audience,
        ...options,
      }),
    close: async () => {
      grpc.close();
      await service.close();
      await db.destroy();
      await dsrGroup?.drop();
      if (url !== undefined) await dropDatabase(url);
      if (shared === undefined) await callers.close();
    },
  };
}

/** A role granted straight in the database, past the API (whose every caller is an actor who must outrank it). */
export async function grantInDatabase(
  db: Kysely<AuthDatabase>,
  accountId: string,
  roleId: string,
): Promise<void> {
  await db
    .insertInto('role_assignments')
    .values({ id: randomUUID(), account_id: accountId, role_id: roleId, service: '', created_at: new Date() })
    .execute();
}

/** `client` with `actorId` in every request that declares an actor field and leaves it empty. */
function actingAs<S extends DescService>(service: S, client: GrpcClient<S>, actorId: string): GrpcClient<S> {
  const calls = client as unknown as Record<
    string,
    (request: Record<string, unknown>, options?: unknown) => unknown
  >;
  const wrapped: Record<string, unknown> = { ...calls };
  for (const method of service.methods) {
    const { actorField } = accessOf(method);
    const field = method.input.fields.find((f) => f.name === actorField)?.localName;
    const call = calls[method.localName];
    if (field === undefined || call === undefined) continue;
    wrapped[method.localName] = (request: Record<string, unknown>, options?: unknown) =>
      call({ ...request, [field]: request[field] || actorId }, options);
  }
  return wrapped as GrpcClient<S>;
}

export interface TestPlatform {
  readonly identity: GrpcClient<typeof IdentityService>;
  readonly auth: TestAuth;
  close(): Promise<void>;
}

/** identity-service and auth-service side by side, each on its own fresh database. */
export async function startTestPlatform(
  overrides: Record<string, string> = {},
  options: TestAuthOptions = {},
): Promise<TestPlatform> {
  const callers = options.callers ?? (await TestCallers.start());
  const identity = await startIdentity(callers);
  const auth = await startAuth(identity.service.grpcAddress, overrides, { ...options, callers });
  return {
    identity: identity.grpc,
    auth,
    close: async () => {
      await auth.close();
      await identity.close();
      if (options.callers === undefined) await callers.close();
    },
  };
}

let counter = 0;
/** A valid, unique sign-up request (the password is long enough for admins). */
export function newAccount(mode: AccountMode = AccountMode.USER) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}${randomBytes(3).toString('hex')}`;
  return {
    email: `auth-${tag}@example.com`,
    username: `auth_${tag}`,
    password: `Correct horse battery ${tag}`,
    locale: 'en-US',
    country: 'KR',
    mode,
  };
}

export const client = { ipAddress: '203.0.113.7', userAgent: 'vitest/auth', deviceFingerprint: 'device-a' };

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) for one time step, as an authenticator app computes it. */
export function totp(base32Secret: string, step: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32Secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const secret = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = (mac.at(-1) ?? 0) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const currentStep = () => Math.floor(Date.now() / 30_000);

export interface LoggedIn {
  readonly accountId: string;
  readonly sessionId: string;
  readonly input: ReturnType<typeof newAccount>;
}

/** Signs up and logs in with the password only (no MFA enrolled): a session without MFA. */
export async function signUpAndLogin(
  identity: GrpcClient<typeof IdentityService>,
  mode: AccountMode = AccountMode.USER,
): Promise<LoggedIn> {
  const input = newAccount(mode);
  const { account } = await identity.createAccount(input);
  const login = await identity.authenticate({ identifier: input.email, password: input.password, client });
  if (login.result.case !== 'session') throw new Error(`expected a session, got ${login.result.case}`);
  return { accountId: account?.id ?? '', sessionId: login.result.value.session?.id ?? '', input };
}

/**
 * An account with TOTP enrolled through identity's API, logged in with password then TOTP: a session
 * whose `mfaVerified` is true. The login code is the next time step's (a step is accepted once).
 */
export async function signUpWithMfa(
  identity: GrpcClient<typeof IdentityService>,
  mode: AccountMode,
): Promise<LoggedIn> {
  const input = newAccount(mode);
  const { account } = await identity.createAccount(input);
  const accountId = account?.id ?? '';
  const { secret } = await identity.beginTotpEnrollment({ accountId });
  const step = currentStep();
  await identity.confirmTotpEnrollment({ accountId, code: totp(secret, step) });
  const login = await identity.authenticate({ identifier: input.email, password: input.password, client });
  if (login.result.case !== 'mfaChallenge')
    throw new Error(`expected an MFA challenge, got ${login.result.case}`);
  const done = await identity.verifyMfaChallenge({
    challengeId: login.result.value.challengeId,
    code: { case: 'totpCode', value: totp(secret, step + 1) },
  });
  if (done.session?.session?.mfaVerified !== true) throw new Error('expected an MFA-verified session');
  return { accountId, sessionId: done.session.session.id, input };
}

/** The DomainError a call fails with (the kit's client rebuilds it from the gRPC trailer). */
export async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Rows per table of auth's database: invalid requests must leave every count as it was. */
export async function rowCounts(db: Kysely<AuthDatabase>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'roles',
    'role_assignments',
    'operator_assignments',
    'sanctions',
    'signing_keys',
    'outbox_events',
  ] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** The audit events waiting in the outbox (suites that run without a relay). */
export async function pendingAudits(db: Kysely<AuthDatabase>) {
  const rows = await db
    .selectFrom('outbox_events')
    .select(['data', 'key', 'subject'])
    .where('topic', '=', 'audit.event.v1')
    .orderBy('seq')
    .execute();
  return rows.map(
    (row) =>
      row.data as {
        action: string;
        actorId?: string;
        targetId?: string;
        result: string;
        reason?: string;
        metadata?: Record<string, string>;
      },
  );
}

/** A fresh UUID for accounts that need not exist in identity (RBAC decisions are auth's alone). */
export const anyAccountId = () => randomUUID();
