import { randomBytes, randomUUID } from 'node:crypto';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { ensureTopics, groupAtEnd } from '@girok/e2e/events';
import { DomainError } from '@girok/kit/errors';
import type { GrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { type IdentityConfig, loadConfig } from '../src/config.ts';
import { PasswordHasher } from '../src/crypto/password-hasher.ts';
import {
  type RunningIdentityService,
  type StartOptions,
  startIdentityService,
} from '../src/identity-service.ts';
import type { IdentityDatabase } from '../src/schema/database.ts';
import type { Clock } from '../src/tokens.ts';

export const IDENTITY_TOPICS = [
  'identity.account.v1',
  'identity.session.v1',
  'identity.device.v1',
  'identity.profile.v1',
  'audit.event.v1',
];

/** Where legal-service asks for data-subject requests and identity answers them. */
export const DSR_TOPIC = 'legal.dsr.v1';

/** A clock the test moves forward instead of waiting (lockouts, expiries). */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

function env(name: string): string {
  const value = inject('infraEnv')[name];
  if (value === undefined) throw new Error(`${name} was not provided by the harness`);
  return value;
}

export interface TestIdentity {
  readonly service: RunningIdentityService;
  readonly config: IdentityConfig;
  readonly grpc: GrpcClient<typeof IdentityService>;
  /** Direct access to the service's own database, for asserting what was (not) written. */
  readonly db: Kysely<IdentityDatabase>;
  readonly clock: TestClock;
  /** The workload issuer and token authority the service trusts (forge credentials with it). */
  readonly callers: TestCallers;
  /** REST as a well-behaved caller: the credentials the route's RPC declares. */
  rest(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** identity-service on its own fresh database, on random ports, with a test clock. */
export async function startTestIdentity(
  overrides: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestIdentity> {
  const base = new URL(env('DATABASE_URL'));
  base.pathname = `/identity_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const brokers = env('KAFKA_BROKERS').split(',');
  await ensureTopics(brokers.join(','), [...IDENTITY_TOPICS, DSR_TOPIC]);
  // Only suites that ask answer data-subject requests: on the shared broker an instance answers
  // every request naming identity-service, other suites' included.
  const dsrGroup =
    options.dsr === true ? await groupAtEnd(brokers.join(','), DSR_TOPIC, 'identity-test') : undefined;
  const callers = await TestCallers.start();
  const config = loadConfig({
    ...callers.env(),
    DATABASE_URL: base.toString(),
    VALKEY_URL: env('VALKEY_URL'),
    KAFKA_BROKERS: brokers.join(','),
    IDENTITY_KEY_RING: `k1:${randomBytes(32).toString('base64')}`,
    IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
    SHUTDOWN_GRACE_MS: '1000',
    ...(dsrGroup === undefined ? {} : { DSR_CONSUMER_GROUP: dsrGroup.groupId }),
    ...overrides,
  });
  const clock = new TestClock();
  const service = await startIdentityService(config, {
    clock,
    logger: createLogger({ service: 'identity-test', level: 'silent' }),
    dsr: false,
    ...options,
  });
  const grpc = callers.asDeclared(IdentityService, service.grpcAddress, {
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'identity-test', retry: { maxRetries: 0 } }),
  });
  const db = new Kysely<IdentityDatabase>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.databaseUrl, max: 2 }) }),
  });
  return {
    service,
    config,
    grpc,
    db,
    clock,
    callers,
    rest: async (method, path, body, headers = {}) =>
      fetch(`${service.httpUrl}${path}`, {
        method,
        headers: {
          ...(await callers.restHeaders(IdentityService, method, path, body)),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    close: async () => {
      grpc.close();
      await service.close();
      await db.destroy();
      await dsrGroup?.drop();
      await callers.close();
      const admin = new pg.Client({ connectionString: env('DATABASE_URL') });
      await admin.connect();
      await admin.query(
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(base.pathname.slice(1))} WITH (FORCE)`,
      );
      await admin.end();
    },
  };
}

let counter = 0;
/** A valid, unique sign-up request. */
export function newAccount(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}${randomBytes(3).toString('hex')}`;
  return {
    email: `user-${tag}@example.com`,
    username: `user_${tag}`,
    password: `Correct horse battery ${tag}`,
    locale: 'en-US',
    country: 'KR',
    ...overrides,
  };
}

export const client = (ip = '203.0.113.7', fingerprint = 'device-a') => ({
  ipAddress: ip,
  userAgent: 'vitest/identity',
  deviceFingerprint: fingerprint,
  deviceName: `Test ${fingerprint}`,
});

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

/**
 * The real hasher, keeping the time spent hashing: argon2id on a shared two-core machine varies by
 * tens of milliseconds from one call to the next, which would drown a difference of one round trip.
 * Timing suites subtract it and compare everything else a call does.
 */
export class TimedHasher extends PasswordHasher {
  spentMs = 0;
  override async hash(password: string): Promise<string> {
    return this.#timed(() => super.hash(password));
  }
  override async verify(phc: string, password: string): Promise<boolean> {
    return this.#timed(() => super.verify(phc, password));
  }
  override async verifyDummy(password: string): Promise<false> {
    return this.#timed(() => super.verifyDummy(password));
  }
  async #timed<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.spentMs += performance.now() - started;
    }
  }
}

/**
 * The median of paired differences, and the bound it must stay under: 1 ms, or twice the median's
 * standard error when the machine is too noisy to resolve 1 ms (estimated from the interquartile
 * range), so a busy neighbour cannot fail the suite while a real difference on a quiet one does.
 */
function pairedGap(gaps: readonly number[]): { median: number; boundMs: number } {
  const sorted = [...gaps].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const standardError = (1.2533 * ((at(0.75) - at(0.25)) / 1.349)) / Math.sqrt(sorted.length);
  return { median: at(0.5), boundMs: Math.max(1, 2 * standardError) };
}

/**
 * How much slower path `b` is than path `a` over `samples` pairs (ms, the hash excluded by the
 * callers' timers). Each pair runs both paths, alternating which goes first, so a load spike on the
 * shared machine hits both alike and cancels out of the pair's difference.
 */
export async function pairedTimingGap(
  samples: number,
  a: (i: number) => Promise<number>,
  b: (i: number) => Promise<number>,
): Promise<{ median: number; boundMs: number }> {
  const gaps: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    if (i % 2 === 0) {
      const first = await a(i);
      gaps.push((await b(i)) - first);
    } else {
      const first = await b(i);
      gaps.push(first - (await a(i)));
    }
  }
  return pairedGap(gaps);
}
