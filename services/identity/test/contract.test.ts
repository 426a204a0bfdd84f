import { DomainError } from '@girok/kit/errors';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, startTestIdentity, type TestIdentity } from './support.ts';

/** Rows in every table an account touches: malformed requests must leave all of them alone. */
async function rowCounts(identity: TestIdentity) {
  const tables = [
    'accounts',
    'credentials',
    'profiles',
    'sessions',
    'refresh_tokens',
    'devices',
    'outbox_events',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await identity.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

describe('the REST and gRPC contract', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    // No relay: outbox rows stay put, so "nothing written" includes "no event queued".
    identity = await startTestIdentity({}, { relay: false });
  });
  afterAll(async () => {
    await identity?.close();
  });

  it('REST: a malformed sign-up is problem+json naming every bad field, and writes nothing', async () => {
    const before = await rowCounts(identity);
    const response = await identity.rest('POST', '/v1/accounts', {
      email: 'not-an-email',
      username: 'x',
      password: 'short',
      locale: 'english',
      country: 'Korea',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as {
      code: string;
      errors: { field: string }[];
      correlationId: string;
      type: string;
    };
    expect(body.code).toBe('INVALID_ARGUMENT');
    expect(body.type).toBe('https://girok.dev/problems/invalid-argument');
    expect(body.correlationId).toBe(response.headers.get('x-request-id'));
    expect(new Set(body.errors.map((e) => e.field))).toEqual(
      new Set(['email', 'username', 'password', 'locale', 'country']),
    );
    expect(await rowCounts(identity)).toEqual(before);
  });

  it('REST: wrong JSON types and unknown fields name the field; a non-JSON body is a 400 too', async () => {
    const wrongType = await identity.rest('POST', '/v1/accounts', { ...newAccount(), email: 42 });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('email');
    const unknown = await identity.rest('POST', '/v1/accounts', { ...newAccount(), isAdmin: true });
    expect(((await unknown.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('isAdmin');
    const garbage = await identity.rest('POST', '/v1/accounts', '{"email": ', {
      'content-type': 'application/json',
    });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { code: string }).code).toBe('MALFORMED_REQUEST');
    const badId = await identity.rest('GET', '/v1/accounts/not-a-uuid');
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('account_id');
    const missing = await identity.rest('GET', '/v1/accounts/0190a8d2-1c6e-7000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('gRPC: the same malformed sign-up is INVALID_ARGUMENT with the field violations in girok-error-bin', async () => {
    const before = await rowCounts(identity);
    const error = await identity.grpc
      .createAccount({
        email: 'nope',
        username: 'ok_name',
        password: 'password',
        locale: 'en-US',
        country: 'KR',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(DomainError);
    const domain = error as DomainError;
    expect(domain.grpcStatus).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(domain.fieldViolations.map((v) => v.field).sort()).toEqual(['email', 'password']);
    expect(domain.fieldViolations.find((v) => v.field === 'password')?.description).toMatch(/common/i);
    expect(await rowCounts(identity)).toEqual(before);
  });

  it('a duplicate email answers 201 like a new one, and creates nothing', async () => {
    const input = newAccount();
    const created = await identity.rest('POST', '/v1/accounts', input);
    expect(created.status).toBe(201);
    const first = (await created.json()) as { account: Record<string, unknown> };
    const before = await rowCounts(identity);
    const duplicate = await identity.rest('POST', '/v1/accounts', {
      ...newAccount(),
      email: input.email.toUpperCase(),
    });
    expect(duplicate.status).toBe(201);
    const second = (await duplicate.json()) as { account: Record<string, unknown> };
    expect(Object.keys(second.account).sort()).toEqual(Object.keys(first.account).sort());
    expect(second.account.id).not.toBe(first.account.id);
    // Only the owner's signup_attempted event and the audit event.
    expect(await rowCounts(identity)).toEqual({ ...before, outbox_events: (before.outbox_events ?? 0) + 2 });
  });

  it('REST responses use the proto3 JSON mapping with defaults; secrets never appear', async () => {
    const input = newAccount();
    const created = (await (await identity.rest('POST', '/v1/accounts', input)).json()) as {
      account: Record<string, unknown>;
    };
    expect(created.account).toMatchObject({
      email: input.email,
      mode: 'ACCOUNT_MODE_USER',
      status: 'ACCOUNT_STATUS_ACTIVE',
      mfaEnabled: false,
    });
    expect(JSON.stringify(created)).not.toContain(input.password);
    const login = await identity.rest('POST', '/v1/authenticate', {
      identifier: input.username,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    expect(login.status).toBe(200);
    const body = (await login.json()) as { session: { refreshToken: string; session: { id: string } } };
    expect(body.session.refreshToken).toHaveLength(43);
    const validity = (await (
      await identity.rest('GET', `/v1/sessions/${body.session.session.id}/validity`)
    ).json()) as { valid: boolean };
    expect(validity.valid).toBe(true);
  });

  it('serves an OpenAPI 3.1 document listing every REST route with its proto-derived schemas and security', async () => {
    const doc = (await (await identity.rest('GET', '/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; security: Record<string, string[]>[] }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId));
    expect(operations).toHaveLength(23); // every IdentityService RPC has its REST route
    expect(doc.paths['/v1/accounts/{account_id}/sessions/{session_id}']?.delete?.operationId).toBe(
      'revokeSession',
    );
    expect(doc.components.schemas['girok.identity.v1.CreateAccountRequest']).toBeDefined();
    // The security of each operation is its access declaration: a user token for one's own sessions,
    // only the BFF's workload token for a password login.
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['accessToken', 'workloadToken']);
    expect(doc.paths['/v1/accounts/{account_id}/sessions']?.get?.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths['/v1/authenticate']?.post?.security).toEqual([{ workloadToken: [] }]);
  });

  it('health and readiness are served on the API port, metrics only on their own port', async () => {
    expect((await identity.rest('GET', '/health/live')).status).toBe(200);
    const ready = (await (await identity.rest('GET', '/health/ready')).json()) as {
      checks: Record<string, string>;
    };
    expect(ready.checks).toEqual({ postgres: 'ok', valkey: 'ok' });
    expect((await identity.rest('GET', '/metrics')).status).toBe(404);
    const metrics = await (await fetch(identity.service.metricsUrl)).text();
    expect(metrics).toContain('http_server_request_duration_seconds');
  });
});
