import { randomBytes } from 'node:crypto';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { type EventRecord, InProcessBus } from '@girok/kit/events';
import { createLogger } from '@girok/kit/logging';
import { TestCallers } from '@girok/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAuthService, startAuthService } from '../src/auth-service.ts';
import { loadConfig } from '../src/config.ts';

describe('local mode: PGlite and the in-process bus (no PostgreSQL, no Kafka)', () => {
  let service: RunningAuthService;
  let callers: TestCallers;
  const bus = new InProcessBus();
  const seen: EventRecord[] = [];
  beforeAll(async () => {
    bus.subscribe(['auth.role.v1', 'audit.event.v1'], (event) => {
      seen.push(event);
    });
    callers = await TestCallers.start();
    const config = loadConfig({
      ...callers.env(),
      DATABASE_URL: 'pglite://memory',
      IDENTITY_GRPC_ADDRESS: '127.0.0.1:1',
      AUTH_KEY_RING: `k1:${randomBytes(32).toString('base64')}`,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
    });
    service = await startAuthService(config, {
      bus,
      logger: createLogger({ service: 'auth-local', level: 'silent' }),
      workloadTokens: callers.workload('auth-service'),
    });
  });
  afterAll(async () => {
    await service?.close();
    await callers?.close();
  });

  it('serves the JWKS and delivers a role change to the bus', async () => {
    const jwks = (await (await fetch(`${service.httpUrl}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect(jwks.keys).toHaveLength(2); // the active key and the next one
    const role = { name: 'local_role', level: 3, scope: 'ROLE_SCOPE_PLATFORM' };
    const created = await fetch(`${service.httpUrl}/v1/roles`, {
      method: 'POST',
      headers: {
        ...(await callers.restHeaders(AuthService, 'POST', '/v1/roles', role)),
        'content-type': 'application/json',
      },
      body: JSON.stringify(role),
    });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 5_000;
    while (!seen.some((e) => e.type === 'girok.auth.v1.role.created') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const event = seen.find((e) => e.type === 'girok.auth.v1.role.created');
    expect(event?.data).toMatchObject({
      role: { name: 'local_role', level: 3, scope: 'ROLE_SCOPE_PLATFORM' },
    });
    expect(seen.map((e) => (e.data as { action?: string }).action)).toEqual(
      expect.arrayContaining(['signing_key.rotate', 'role.create']),
    );
  });
});
