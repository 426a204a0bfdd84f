import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { AuthService, RoleScope } from '@girok/contracts/auth/v1/auth';
import { AccountMode, IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { ensureTopics, groupAtEnd } from '@girok/e2e/events';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { base32Decode, totpCode } from '@girok/identity/totp';
import { DomainError } from '@girok/kit/errors';
import { createGrpcClient, type GrpcCallOptions, type GrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import { Metadata } from '@grpc/grpc-js';
import kafkajs from 'kafkajs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { type LegalConfig, loadConfig } from '../src/config.ts';
import { type RunningLegalService, type StartOptions, startLegalService } from '../src/legal-service.ts';
import type { LegalDatabase } from '../src/schema/database.ts';
import type { Clock } from '../src/tokens.ts';

export const LEGAL_TOPICS = ['legal.consent.v1', 'legal.dsr.v1', 'audit.event.v1'];
export const SUPER_ADMIN_ROLE_ID = '00000000-0000-7000-8000-000000000001';

/** A clock the test moves forward instead of waiting (deadlines, escalation). */
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

export const brokers = () => env('KAFKA_BROKERS').split(',');
export const kafka = () => new kafkajs.Kafka({ brokers: brokers(), logLevel: kafkajs.logLevel.NOTHING });

const silent = (service: string) => createLogger({ service, level: 'silent' });
const keyRing = () => `k1:${randomBytes(32).toString('base64')}`;
const grpcOptions = (name: string) => ({
  deadlineMs: 15_000,
  policy: createPolicy({ name, retry: { maxRetries: 0 } }),
});

/** Call options carrying a bearer token, for the legal gRPC client. */
export function bearer(token: string): GrpcCallOptions {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return { metadata };
}

export interface Caller {
  readonly accountId: string;
  readonly token: string;
  /** gRPC call options with this caller's token. */
  readonly as: GrpcCallOptions;
}

export interface TestPlatform {
  readonly identity: GrpcClient<typeof IdentityService>;
  readonly auth: GrpcClient<typeof AuthService>;
  readonly legal: GrpcClient<typeof LegalService>;
  readonly service: RunningLegalService;
  readonly config: LegalConfig;
  readonly jwksUrl: string;
  readonly identityAddress: string;
  /** Direct access to legal's own database, for asserting what was (not) written. */
  readonly db: Kysely<LegalDatabase>;
  readonly clock: TestClock;
  /** The workload issuer every service here trusts (forge or withhold workload tokens with it). */
  readonly callers: TestCallers;
  rest(method: string, path: string, options?: { body?: unknown; token?: string }): Promise<Response>;
  /** A signed-up USER of `country` with an access token. */
  user(country?: string): Promise<Caller>;
  /** An MFA-verified ADMIN holding `permissions` (a role of their own) or, for '*', super_admin. */
  admin(permissions: readonly string[] | '*'): Promise<Caller>;
  close(): Promise<void>;
}

/**
 * identity-service, auth-service and legal-service on fresh databases and random ports, in this
 * process, as production runs them: legal verifies the tokens auth issues (real JWKS) and asks
 * identity for an account's country as the workload legal-service; the test's identity and auth
 * clients stand in for auth-bff. legal runs its relay to Kafka and consumes legal.dsr.v1 with a
 * group of its own; identity and auth keep their events (no relay).
 */
export async function startTestPlatform(
  overrides: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestPlatform> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const database = (name: string) => {
    const url = new URL(env('DATABASE_URL'));
    url.pathname = `/${name}_${suffix}`;
    return url.toString();
  };
  await ensureTopics(env('KAFKA_BROKERS'), LEGAL_TOPICS);
  const callers = await TestCallers.start();
  const identityService = await startIdentityService(
    loadIdentityConfig({
      ...callers.workloadEnv(),
      DATABASE_URL: database('legal_identity'),
      VALKEY_URL: env('VALKEY_URL'),
      IDENTITY_KEY_RING: keyRing(),
      IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { relay: false, logger: silent('identity') },
  );
  const authService = await startAuthService(
    loadAuthConfig({
      ...callers.workloadEnv(),
      DATABASE_URL: database('legal_auth'),
      IDENTITY_GRPC_ADDRESS: identityService.grpcAddress,
      AUTH_KEY_RING: keyRing(),
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { relay: false, logger: silent('auth'), workloadTokens: callers.workload('auth-service') },
  );
  const jwksUrl = `${authService.httpUrl}/.well-known/jwks.json`;
  const config = loadConfig({
    ...callers.workloadEnv(),
    DATABASE_URL: database('legal'),
    KAFKA_BROKERS: brokers().join(','),
    IDENTITY_GRPC_ADDRESS: identityService.grpcAddress,
    AUTH_JWKS_URL: jwksUrl,
    LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
    LEGAL_CONSUMER_GROUP: (await groupAtEnd(env('KAFKA_BROKERS'), 'legal.dsr.v1', 'legal-test')).groupId,
    DSR_ESCALATION_INTERVAL_MS: '100',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '1000',
    ...overrides,
  });
  const clock = new TestClock();
  const service = await startLegalService(config, {
    clock,
    logger: silent('legal'),
    workloadTokens: callers.workload('legal-service'),
    ...options,
  });

  // Sign-up, login, MFA and token issuance are auth-bff's calls.
  const asBff = { workload: callers.workload('auth-bff') };
  const identity = createGrpcClient(IdentityService, identityService.grpcAddress, {
    ...grpcOptions('identity-test'),
    ...asBff,
  });
  const auth = createGrpcClient(AuthService, authService.grpcAddress, {
    ...grpcOptions('auth-test'),
    ...asBff,
  });
  const legal = createGrpcClient(LegalService, service.grpcAddress, grpcOptions('legal-test'));
  const db = new Kysely<LegalDatabase>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.databaseUrl, max: 2 }) }),
  });

  let counter = 0;
  const caller = async (accountId: string, sessionId: string): Promise<Caller> => {
    const { accessToken } = await auth.issueAccessToken({ sessionId });
    return { accountId, token: accessToken, as: bearer(accessToken) };
  };
  const newAccount = (mode: AccountMode, country: string) => {
    counter += 1;
    const name = `l${suffix.slice(0, 6)}${counter}`;
    return {
      email: `${name}@example.com`,
      username: name,
      password: `correct horse battery ${name}`,
      locale: 'en-US',
      country,
      mode,
    };
  };
  const client = { ipAddress: '203.0.113.9', userAgent: 'vitest/legal' };

  /** A new ADMIN account with TOTP, logged in with its second factor. */
  const mfaAdmin = async (): Promise<{ accountId: string; sessionId: string }> => {
    const input = newAccount(AccountMode.ADMIN, 'KR');
    const { account } = await identity.createAccount(input);
    const accountId = account?.id ?? '';
    const { secret } = await identity.beginTotpEnrollment({ accountId });
    const key = base32Decode(secret);
    await identity.confirmTotpEnrollment({ accountId, code: totpCode(key, Date.now()) });
    const login = await identity.authenticate({ identifier: input.email, password: input.password, client });
    if (login.result.case !== 'mfaChallenge') throw new Error(`expected MFA, got ${login.result.case}`);
    // A time step is accepted once: the login uses the next one (inside the ±1 step window).
    const done = await identity.verifyMfaChallenge({
      challengeId: login.result.value.challengeId,
      code: { case: 'totpCode', value: totpCode(key, Date.now() + 30_000) },
    });
    return { accountId, sessionId: done.session?.session?.id ?? '' };
  };
  // Roles are granted by an admin holding role:manage; the first super_admin has no one to grant it,
  // so it is written into auth's database, as an installation seeds its first administrator.
  let root: Promise<Caller> | undefined;
  const rootAdmin = () => {
    root ??= (async () => {
      const { accountId, sessionId } = await mfaAdmin();
      const authDb = new pg.Client({ connectionString: database('legal_auth') });
      await authDb.connect();
      try {
        await authDb.query(
          `INSERT INTO role_assignments (id, account_id, role_id, service, created_at) VALUES ($1, $2, $3, '', now())`,
          [randomUUID(), accountId, SUPER_ADMIN_ROLE_ID],
        );
      } finally {
        await authDb.end();
      }
      return caller(accountId, sessionId);
    })();
    return root;
  };

  return {
    identity,
    auth,
    legal,
    service,
    config,
    jwksUrl,
    identityAddress: identityService.grpcAddress,
    db,
    clock,
    rest: (method, path, { body, token } = {}) =>
      fetch(`${service.httpUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    user: async (country = 'KR') => {
      const input = newAccount(AccountMode.USER, country);
      const { account } = await identity.createAccount(input);
      const login = await identity.authenticate({
        identifier: input.email,
        password: input.password,
        client,
      });
      if (login.result.case !== 'session') throw new Error(`expected a session, got ${login.result.case}`);
      return caller(account?.id ?? '', login.result.value.session?.id ?? '');
    },
    admin: async (permissions) => {
      const { accountId, sessionId } = await mfaAdmin();
      const granter = await rootAdmin();
      let roleId = SUPER_ADMIN_ROLE_ID;
      if (permissions !== '*') {
        const { role } = await auth.createRole(
          {
            name: `legal_${randomBytes(6).toString('hex')}`,
            description: 'test role',
            level: 20,
            scope: RoleScope.PLATFORM,
            permissions: [...permissions],
          },
          granter.as,
        );
        roleId = role?.id ?? '';
      }
      await auth.assignRole({ accountId, roleId }, granter.as);
      return caller(accountId, sessionId);
    },
    callers,
    close: async () => {
      identity.close();
      auth.close();
      legal.close();
      await db.destroy();
      await service.close();
      await authService.close();
      await identityService.close();
      await callers.close();
      const admin = new pg.Client({ connectionString: env('DATABASE_URL') });
      await admin.connect();
      try {
        for (const name of ['legal', 'legal_auth', 'legal_identity']) {
          await admin.query(
            `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(`${name}_${suffix}`)} WITH (FORCE)`,
          );
        }
      } finally {
        await admin.end();
      }
    },
  };
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

/** The fields named by a failure's violations. */
export const fieldsOf = (error: DomainError) => error.fieldViolations.map((v) => v.field);

/** Rows per table of legal's database: refused requests must leave every count as it was. */
export async function rowCounts(db: Kysely<LegalDatabase>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'documents',
    'consents',
    'consent_history',
    'laws',
    'dsrs',
    'dsr_parts',
    'outbox_events',
  ] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** Polls `check` until it returns something other than undefined (or the time is up). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SeenEvent {
  readonly topic: string;
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly data: Record<string, unknown>;
}

/** Where each partition of the legal topics ends now: a test reads only what comes after. */
export async function highWatermarks(): Promise<Map<string, { partition: number; offset: string }[]>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const marks = new Map<string, { partition: number; offset: string }[]>();
    for (const topic of LEGAL_TOPICS) {
      const offsets = await admin.fetchTopicOffsets(topic);
      marks.set(
        topic,
        offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      );
    }
    return marks;
  } finally {
    await admin.disconnect();
  }
}

/** Reads the legal topics from `from` until `done`, then a second longer (duplicates would show). */
export async function readEvents(
  from: Map<string, { partition: number; offset: string }[]>,
  filter: (event: SeenEvent) => boolean,
  done: (events: SeenEvent[]) => boolean,
): Promise<SeenEvent[]> {
  const consumer = kafka().consumer({ groupId: `legal-events-test-${randomUUID()}` });
  const events: SeenEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: LEGAL_TOPICS, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
      );
      const event = {
        topic,
        key: message.key?.toString() ?? '',
        headers,
        data: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
      };
      if (filter(event)) events.push(event);
    },
  });
  for (const [topic, partitions] of from) {
    for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
  }
  const deadline = Date.now() + 30_000;
  while (!done(events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return events;
}

/**
 * Publishes a CloudEvent on a topic the way every service's outbox relay does (Kafka binary
 * binding: `ce_*` headers, JSON value, aggregate id as key) — a stand-in for another service.
 */
export async function publishCloudEvent(event: {
  topic: string;
  key: string;
  type: string;
  source: string;
  data: unknown;
  id?: string;
}): Promise<string> {
  const id = event.id ?? randomUUID();
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({
      topic: event.topic,
      acks: -1,
      messages: [
        {
          key: event.key,
          value: JSON.stringify(event.data),
          headers: {
            ce_specversion: '1.0',
            ce_id: id,
            ce_source: event.source,
            ce_type: event.type,
            ce_time: new Date().toISOString(),
            ce_subject: event.key,
            'content-type': 'application/json',
          },
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  return id;
}
