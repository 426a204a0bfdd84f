import { AuthService } from '@girok/contracts/auth/v1/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyAccountId, rowCounts, signUpAndLogin, startTestPlatform, type TestPlatform } from './support.ts';

interface Problem {
  code: string;
  type: string;
  status: number;
  correlationId: string;
  errors?: { field: string; description: string }[];
}

describe('the REST and gRPC contract', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    // No relay: outbox rows stay put, so "nothing written" includes "no event queued".
    platform = await startTestPlatform({}, { relay: false });
  });
  afterAll(async () => {
    await platform?.close();
  });

  // /.well-known/jwks.json is served (below) but no longer documented: the kit builds the document
  // from the RPC declarations alone.
  it('serves an OpenAPI 3.1 document with a route for every AuthService RPC', async () => {
    const doc = (await (await platform.auth.rest('GET', '/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId));
    expect(operations.sort()).toEqual(AuthService.methods.map((m) => m.localName).sort());
    expect(doc.paths['/v1/roles/{role_id}']?.patch?.operationId).toBe('updateRole');
    expect(doc.paths['/v1/signing-keys/{kid}/retire']?.post?.operationId).toBe('retireSigningKey');
    expect(doc.components.schemas['girok.auth.v1.CreateSanctionRequest']).toBeDefined();
  });

  it('every documented route is routed (none is ROUTE_NOT_FOUND); a bad actor id writes nothing anywhere', async () => {
    const before = await rowCounts(platform.auth.db);
    const doc = (await (await platform.auth.rest('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const verb of Object.keys(operations)) {
        const concrete = path.replace(/\{(\w+)\}/g, (_m, name: string) =>
          name === 'kid' ? 'kid-x' : anyAccountId(),
        );
        const withBody = verb !== 'get' && verb !== 'delete';
        const response = await platform.auth.rest(
          verb.toUpperCase(),
          concrete,
          withBody ? { actorId: 'not-a-uuid' } : undefined,
        );
        const body = (await response.json()) as Problem;
        expect(body.code, `${verb} ${path}`).not.toBe('ROUTE_NOT_FOUND');
        if (withBody) expect(response.status, `${verb} ${path}`).toBe(400);
      }
    }
    expect(await rowCounts(platform.auth.db)).toEqual(before);
  });

  it('JWKS: at /.well-known/jwks.json with a short public cache, only public ES256 signature keys', async () => {
    const response = await platform.auth.rest('GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { keys: Record<string, string>[] };
    expect(body.keys).toHaveLength(2); // the active key and the next one
    for (const key of body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
    // The RPC face carries the same document as a string.
    const rpc = (await (await platform.auth.rest('GET', '/v1/jwks')).json()) as { jwksJson: string };
    expect(JSON.parse(rpc.jwksJson)).toEqual(body);
  });

  it('REST: a bad role is problem+json naming every field, and writes nothing', async () => {
    const before = await rowCounts(platform.auth.db);
    const response = await platform.auth.rest('POST', '/v1/roles', {
      name: 'X',
      level: 0,
      scope: 'ROLE_SCOPE_UNSPECIFIED',
      permissions: ['account:read', 'bogus'],
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as Problem;
    expect(body.code).toBe('INVALID_ARGUMENT');
    expect(body.type).toBe('https://girok.dev/problems/invalid-argument');
    expect(body.correlationId).toBe(response.headers.get('x-request-id'));
    expect(body.errors?.map((e) => e.field)).toEqual(['name', 'level', 'scope', 'permissions[1]']);
    // Wrong JSON types and unknown fields are named too.
    const unknown = await platform.auth.rest('POST', '/v1/roles', { name: 'ok_name', isRoot: true });
    expect(((await unknown.json()) as Problem).errors?.[0]?.field).toBe('isRoot');
    const bad = await platform.auth.rest('POST', '/v1/sanctions', {
      accountId: 'nope',
      type: 'SANCTION_TYPE_TEMPORARY_BAN',
      reason: 'r',
    });
    expect(((await bad.json()) as Problem).errors?.map((e) => e.field)).toEqual(['account_id', 'ends_at']);
    expect(await rowCounts(platform.auth.db)).toEqual(before);
  });

  it('REST: the full round trip of a role, a grant and a check, in proto3 JSON', async () => {
    const { auth } = platform;
    const created = await auth.rest('POST', '/v1/roles', {
      name: `rest_role_${Date.now().toString(36)}`,
      level: 12,
      scope: 'ROLE_SCOPE_PLATFORM',
      permissions: ['audit:read'],
    });
    expect(created.status).toBe(201);
    const { role } = (await created.json()) as { role: { id: string; scope: string; system: boolean } };
    expect(role).toMatchObject({ scope: 'ROLE_SCOPE_PLATFORM', system: false });
    const accountId = anyAccountId();
    const assigned = await auth.rest('POST', '/v1/role-assignments', {
      accountId,
      roleId: role.id,
      actorId: auth.root,
    });
    expect(assigned.status).toBe(201);
    const check = await auth.rest('POST', `/v1/accounts/${accountId}/permission-check`, {
      query: { permission: 'audit:read' },
    });
    expect(await check.json()).toMatchObject({
      decision: { permission: 'audit:read', allowed: true, reason: 'DECISION_REASON_ROLE_GRANTED' },
    });
    const listed = (await (
      await auth.rest('GET', `/v1/role-assignments?accountId=${accountId}&page.pageSize=5`)
    ).json()) as {
      assignments: { roleId: string }[];
      page: { nextPageToken: string };
    };
    expect(listed.assignments.map((a) => a.roleId)).toEqual([role.id]);
    expect(listed.page.nextPageToken).toBe('');
    const missing = await auth.rest('GET', `/v1/roles/${anyAccountId()}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Problem).code).toBe('ROLE_NOT_FOUND');
    const conflict = await auth.rest('DELETE', '/v1/roles/00000000-0000-7000-8000-000000000001');
    expect(conflict.status).toBe(412);
    expect(((await conflict.json()) as Problem).code).toBe('SYSTEM_ROLE_PROTECTED');
  });

  it('REST: tokens — 401 SESSION_INVALID for an unknown session, a token for a live one', async () => {
    const { auth, identity } = platform;
    const unknown = await auth.rest('POST', '/v1/access-tokens', { sessionId: anyAccountId() });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(((await unknown.json()) as Problem).code).toBe('SESSION_INVALID');
    const { sessionId } = await signUpAndLogin(identity);
    const issued = await auth.rest('POST', '/v1/access-tokens', { sessionId });
    expect(issued.status).toBe(200);
    const body = (await issued.json()) as {
      accessToken: string;
      tokenType: string;
      scope: string[];
      notices: unknown[];
    };
    expect(body).toMatchObject({ tokenType: 'TOKEN_TYPE_USER_ACCESS', scope: [], notices: [] });
    expect((await auth.verifier().verify(body.accessToken)).sid).toBe(sessionId);
  });

  it('health and readiness are served; metrics on their own port only', async () => {
    expect((await platform.auth.rest('GET', '/health/live')).status).toBe(200);
    const ready = (await (await platform.auth.rest('GET', '/health/ready')).json()) as {
      checks: Record<string, string>;
    };
    expect(ready.checks).toEqual({ postgres: 'ok' });
    expect(await (await fetch(platform.auth.service.metricsUrl)).text()).toContain(
      'girok_circuit_breaker_state',
    );
    expect((await platform.auth.rest('GET', '/metrics')).status).toBe(404);
  });
});
