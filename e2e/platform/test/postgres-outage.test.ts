import { randomBytes, randomUUID } from 'node:crypto';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { Infra, infraEnv, loadInfraConfig, stderrProgress } from '@girok/e2e/infra';
import { loadConfig } from '@girok/identity/config';
import { type RunningIdentityService, startIdentityService } from '@girok/identity/service';
import { DomainError } from '@girok/kit/errors';
import { createGrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const infra = new Infra(loadInfraConfig(), stderrProgress());

describe('PostgreSQL stops under identity-service', () => {
  const database = `identity_chaos_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let identity: RunningIdentityService;
  let databaseUrl: string;
  let callers: TestCallers;

  beforeAll(async () => {
    callers = await TestCallers.start();
    const url = new URL(infraEnv('DATABASE_URL'));
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
    identity = await startIdentityService(
      loadConfig({
        ...callers.env(),
        DATABASE_URL: databaseUrl,
        VALKEY_URL: infraEnv('VALKEY_URL'),
        IDENTITY_KEY_RING: `k1:${randomBytes(32).toString('base64')}`,
        IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      // No relay: every event stays in the outbox, where the test counts it.
      { logger: createLogger({ service: 'identity-chaos', level: 'silent' }), relay: false },
    );
  });

  afterAll(async () => {
    await infra.resume(['postgres']);
    await identity?.close();
    await callers?.close();
    const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.end();
  });

  it('fails fast with 503 / UNAVAILABLE and a clear message, writes nothing by halves, and recovers by itself', async () => {
    // Sign-ups come from the BFF.
    const grpc = createGrpcClient(IdentityService, identity.grpcAddress, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'chaos-test', retry: { maxRetries: 0 } }),
      workload: callers.workload('auth-bff'),
    });
    const attempted: string[] = [];
    const succeeded = new Set<string>();
    const signUp = async () => {
      const name = `c${randomUUID().replaceAll('-', '').slice(0, 10)}`;
      attempted.push(name);
      try {
        await grpc.createAccount({
          email: `${name}@example.com`,
          username: name,
          password: 'correct horse battery staple',
          country: 'KR',
          locale: 'en-US',
        });
        succeeded.add(name);
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).kind).toBe('UNAVAILABLE');
      }
    };
    // Sign-ups in flight while the server goes away.
    const stream = (async () => {
      for (let i = 0; i < 300 && attempted.length - succeeded.size < 6; i += 1)
        await Promise.all([signUp(), signUp()]);
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await infra.down(['postgres']);

    const started = performance.now();
    const accountId = randomUUID();
    const token = await callers.userToken({ accountId });
    const rest = await fetch(`${identity.httpUrl}/v1/accounts/${accountId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rest.status).toBe(503);
    expect(rest.headers.get('content-type')).toContain('application/problem+json');
    const body = (await rest.json()) as { code: string; detail: string; correlationId: string };
    expect(body.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(body.detail).toBe('A backing service is unavailable; retry shortly');
    expect(body.correlationId).not.toBe('');
    const refused = await grpc.getAccount({ accountId: randomUUID() }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: 'UNAVAILABLE', code: 'DEPENDENCY_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await fetch(`${identity.httpUrl}/health/ready`)).status).toBe(503);
    expect((await fetch(`${identity.httpUrl}/health/live`)).status).toBe(200);
    await stream;

    await infra.resume(['postgres']);
    // No restart of the service: its pool reconnects.
    await expect
      .poll(async () => (await fetch(`${identity.httpUrl}/health/ready`)).status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(200);
    // The test's own client opened its breaker during the outage (as every caller's would); a new
    // caller gets through at once, and the old one once its breaker half-opens.
    const fresh = createGrpcClient(IdentityService, identity.grpcAddress, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'chaos-test-after', retry: { maxRetries: 0 } }),
      workload: callers.workload('auth-bff'),
    });
    const name = `r${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const { account: after } = await fresh.createAccount({
      email: `${name}@example.com`,
      username: name,
      password: 'correct horse battery staple',
      country: 'KR',
      locale: 'en-US',
    });
    expect(after?.username).toBe(name);
    attempted.push(name);
    succeeded.add(name);
    fresh.close();

    // Nothing half-written: every account that exists has its credential and exactly one
    // account.created event beside it; every sign-up that was answered OK exists.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ username: string; credentials: string; created_events: string }>(
        `SELECT a.username,
                (SELECT count(*) FROM credentials c WHERE c.account_id = a.id) AS credentials,
                (SELECT count(*) FROM outbox_events o
                  WHERE o.key = a.id::text AND o.type = 'girok.identity.v1.account.created') AS created_events
           FROM accounts a`,
      );
      const existing = new Set(rows.map((r) => r.username));
      for (const name of succeeded) expect(existing.has(name)).toBe(true);
      for (const row of rows) {
        expect(attempted).toContain(row.username);
        expect(Number(row.credentials)).toBe(1);
        expect(Number(row.created_events)).toBe(1);
      }
      expect(succeeded.size).toBeLessThan(attempted.length); // the outage really refused some
    } finally {
      await db.end();
      grpc.close();
    }
  });
});
