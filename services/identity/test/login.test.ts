import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

const MINUTE = 60_000;

describe('password login', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  it('creates an account and logs in over gRPC with a session and a refresh token', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount({ ...input, client: client() });
    expect(account?.email).toBe(input.email);
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client(),
    });
    expect(response.result.case).toBe('session');
    if (response.result.case !== 'session') return;
    expect(response.result.value.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.result.value.session?.accountId).toBe(account?.id);
    const stored = await identity.db.selectFrom('refresh_tokens').select('token_hash').execute();
    expect(stored.map((row) => row.token_hash)).not.toContain(response.result.value.refreshToken);
  });

  it('refuses a login without the client’s IP address, which the per-IP limit counts', async () => {
    const input = newAccount();
    await identity.grpc.createAccount(input);
    for (const client of [undefined, { userAgent: 'vitest' }, { ipAddress: 'somewhere' }]) {
      const error = await failure(
        identity.grpc.authenticate({
          identifier: input.email,
          password: input.password,
          ...(client ? { client } : {}),
        }),
      );
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.fieldViolations.map((v) => v.field)).toEqual(['client.ip_address']);
    }
  });

  it('refuses the 6th attempt after 5 failures even with the right password, and lets it in after 15 minutes', async () => {
    const input = newAccount();
    await identity.grpc.createAccount(input);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const error = await failure(
        identity.grpc.authenticate({
          identifier: input.username,
          password: 'wrong password!',
          client: client(),
        }),
      );
      expect(error.code).toBe('INVALID_CREDENTIALS');
    }
    const locked = await failure(
      identity.grpc.authenticate({ identifier: input.username, password: input.password, client: client() }),
    );
    expect(locked.code).toBe('INVALID_CREDENTIALS');

    identity.clock.advance(14 * MINUTE);
    const stillLocked = await failure(
      identity.grpc.authenticate({
        identifier: input.username,
        password: input.password,
        client: { ipAddress: '203.0.113.7' },
      }),
    );
    expect(stillLocked.code).toBe('INVALID_CREDENTIALS');

    identity.clock.advance(1 * MINUTE + 1000);
    const response = await identity.grpc.authenticate({
      identifier: input.username,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    expect(response.result.case).toBe('session');
    identity.clock.offsetMs = 0;
  });

  it('a success resets the failure count: 4 failures, a success, 4 failures do not lock', async () => {
    const input = newAccount();
    await identity.grpc.createAccount(input);
    const fail = () =>
      failure(
        identity.grpc.authenticate({
          identifier: input.email,
          password: 'not the password',
          client: { ipAddress: '203.0.113.7' },
        }),
      );
    for (let i = 0; i < 4; i += 1) await fail();
    await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    for (let i = 0; i < 4; i += 1) await fail();
    const response = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: { ipAddress: '203.0.113.7' },
    });
    expect(response.result.case).toBe('session');
  });

  it('answers an unknown account and a wrong password with the same body, in the same time (50 tries each)', async () => {
    const accounts = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const input = newAccount();
        await identity.grpc.createAccount(input);
        return input;
      }),
    );
    const time = async (body: unknown) => {
      const started = performance.now();
      const response = await identity.rest('POST', '/v1/authenticate', {
        ...(body as object),
        client: { ipAddress: '203.0.113.7' },
      });
      const elapsed = performance.now() - started;
      const json = (await response.json()) as Record<string, unknown>;
      return { status: response.status, json, elapsed };
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    let unknownBody: Record<string, unknown> | undefined;
    let wrongBody: Record<string, unknown> | undefined;
    for (let i = 0; i < 50; i += 1) {
      // Interleaved, and each real account gets at most 4 wrong passwords per round so none locks.
      const a = await time({ identifier: `nobody-${i}@example.com`, password: 'whatever it is' });
      const account = accounts[i % accounts.length];
      const b = await time({ identifier: account?.email, password: 'whatever it is' });
      if (i % 20 === 19) {
        for (const input of accounts)
          await identity.grpc.authenticate({
            identifier: input.email,
            password: input.password,
            client: { ipAddress: '203.0.113.7' },
          });
      }
      unknown.push(a.elapsed);
      wrong.push(b.elapsed);
      unknownBody = a.json;
      wrongBody = b.json;
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
    }
    const strip = (body: Record<string, unknown> | undefined) => ({ ...body, correlationId: undefined });
    expect(strip(unknownBody)).toEqual(strip(wrongBody));
    expect(unknownBody?.code).toBe('INVALID_CREDENTIALS');
    const median = (values: number[]) =>
      [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
    const ratio = median(unknown) / median(wrong);
    expect(
      ratio,
      `median unknown ${median(unknown).toFixed(1)} ms vs wrong ${median(wrong).toFixed(1)} ms`,
    ).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
  });

  it('rate-limits logins per account and per IP in Valkey with a retry-after', async () => {
    const limited = await startTestIdentity({
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
      LOGIN_RATE_LIMIT_PER_IP: '5',
    });
    try {
      const input = newAccount();
      await limited.grpc.createAccount(input);
      for (let i = 0; i < 3; i += 1)
        await failure(
          limited.grpc.authenticate({
            identifier: input.email,
            password: 'nope nope nope',
            client: client('198.51.100.1'),
          }),
        );
      const byAccount = await failure(
        limited.grpc.authenticate({
          identifier: input.email,
          password: input.password,
          client: client('198.51.100.2'),
        }),
      );
      expect(byAccount.code).toBe('RATE_LIMITED');
      expect(byAccount.retryAfterSeconds).toBeGreaterThan(0);
      const ip = '198.51.100.3';
      for (let i = 0; i < 5; i += 1)
        await failure(
          limited.grpc.authenticate({
            identifier: `x${i}@example.com`,
            password: 'nope nope nope',
            client: client(ip),
          }),
        );
      const byIp = await failure(
        limited.grpc.authenticate({
          identifier: 'y@example.com',
          password: 'nope nope nope',
          client: client(ip),
        }),
      );
      expect(byIp.code).toBe('RATE_LIMITED');
      const rest = await limited.rest('POST', '/v1/authenticate', {
        identifier: 'y@example.com',
        password: 'x',
        client: { ipAddress: ip },
      });
      expect(rest.status).toBe(429);
      expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
