import { setTimeout as sleep } from 'node:timers/promises';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors/index.ts';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '../src/grpc/index.ts';
import { CIRCUIT_BREAKER_STATE_METRIC, createPolicy, type PolicyOptions } from '../src/resilience/index.ts';
import { TestCallers } from '../src/testing/index.ts';
import { callCounter, captureLogger, freePort } from './grpc-fixtures.ts';

// The servers here trust this issuer and authority; clients call as the BFF (which GetAccount and
// CreateAccount admit), so these suites exercise the plumbing behind a real access check.
const callers = await TestCallers.start();
afterAll(() => callers.close());

const HALF_OPEN_AFTER_MS = 300;

/** Reconnect quickly once the server is back, instead of grpc-js's default 1 s..120 s backoff. */
const FAST_RECONNECT = { 'grpc.initial_reconnect_backoff_ms': 20, 'grpc.max_reconnect_backoff_ms': 50 };

describe('gRPC client resilience against a real server', () => {
  const servers: GrpcServer[] = [];
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await Promise.all(servers.splice(0).map((s) => s.shutdown(500)));
  });

  /** An identity server on `port` that counts the calls its handlers receive. */
  async function startServer(port: number) {
    const handled = { getAccount: 0, createAccount: 0 };
    const server = createGrpcServer({
      callers: callers.authenticator(),
      logger: captureLogger().logger,
      services: [
        {
          service: IdentityService,
          handlers: {
            getAccount: async (request) => {
              handled.getAccount++;
              return { account: { id: request.accountId } };
            },
            createAccount: async () => {
              handled.createAccount++;
              throw new DomainError('INVALID_ARGUMENT', 'ACCOUNT_INVALID', 'The account has invalid fields', {
                fieldViolations: [{ field: 'email', description: 'must be an email address' }],
              });
            },
          },
        },
      ],
    });
    await server.listen('127.0.0.1', port);
    servers.push(server);
    return { server, handled };
  }

  function client(port: number, policy: Partial<PolicyOptions>) {
    const registry = new Registry();
    const counter = callCounter();
    const resilience = createPolicy({
      name: 'identity-service',
      registry,
      breaker: { halfOpenAfterMs: HALF_OPEN_AFTER_MS },
      ...policy,
    });
    const identity = createGrpcClient(IdentityService, `127.0.0.1:${port}`, {
      workload: callers.workload('auth-bff'),
      deadlineMs: 1_000,
      policy: resilience,
      channelOptions: { ...FAST_RECONNECT, interceptors: [counter.interceptor] },
    });
    closers.push(() => identity.close());
    const gauge = async () =>
      (await registry.getSingleMetric(CIRCUIT_BREAKER_STATE_METRIC)?.get())?.values.find(
        (v) => v.labels.name === 'identity-service',
      )?.value;
    return { identity, counter, resilience, gauge };
  }

  it('retries UNAVAILABLE until the server is up, and the handler runs once', async () => {
    const port = await freePort();
    const { identity, counter } = client(port, {
      retry: { maxRetries: 6, initialDelayMs: 50, maxDelayMs: 150 },
    });
    const firstAttempt = counter.nextStatus();
    const call = identity.getAccount({ accountId: 'acc-1' });
    expect(await firstAttempt).toBe(status.UNAVAILABLE);
    const { handled } = await startServer(port);

    await expect(call).resolves.toMatchObject({ account: { id: 'acc-1' } });
    expect(counter.started).toBeGreaterThanOrEqual(2);
    expect(counter.statuses[0]).toBe(status.UNAVAILABLE);
    expect(counter.statuses.at(-1)).toBe(status.OK);
    expect(handled.getAccount).toBe(1);
  });

  it('does not retry INVALID_ARGUMENT: one attempt, one handler call, the error intact', async () => {
    const port = await freePort();
    const { handled } = await startServer(port);
    const { identity, counter } = client(port, { retry: { maxRetries: 6, initialDelayMs: 10 } });

    const error = await identity.createAccount({ email: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'ACCOUNT_INVALID' });
    expect((error as DomainError).fieldViolations.map((v) => v.field)).toEqual(['email']);
    expect(handled.createAccount).toBe(1);
    expect(counter.started).toBe(1);
  });

  it('opens after 5 failed calls, fails the 6th fast without touching the network, closes after 2 successes', async () => {
    const port = await freePort();
    const { server } = await startServer(port);
    const { identity, counter, resilience, gauge } = client(port, { retry: { maxRetries: 0 } });
    await expect(identity.getAccount({ accountId: 'warm-up' })).resolves.toBeDefined();
    await server.shutdown(500);
    servers.splice(0);

    for (let i = 1; i <= 5; i++) {
      const error = await identity.getAccount({ accountId: `down-${i}` }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'UNAVAILABLE', code: 'UNAVAILABLE' });
      expect(resilience.state).toBe(i < 5 ? 'closed' : 'open');
    }
    expect(await gauge()).toBe(1);
    const attemptsWhenOpened = counter.started;
    expect(attemptsWhenOpened).toBe(6);

    const started = performance.now();
    const fast = await identity.getAccount({ accountId: 'sixth' }).catch((e: unknown) => e);
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeLessThan(5);
    expect(counter.started).toBe(attemptsWhenOpened);
    expect(fast).toBeInstanceOf(DomainError);
    expect(fast).toMatchObject({ kind: 'UNAVAILABLE', code: 'DEPENDENCY_UNAVAILABLE', retryAfterSeconds: 1 });
    expect((fast as Error).message).toMatch(
      /^identity-service is unavailable \(circuit open .*retry after 1 s$/,
    );

    await startServer(port);
    await sleep(HALF_OPEN_AFTER_MS + 50);
    await expect(identity.getAccount({ accountId: 'probe-1' })).resolves.toMatchObject({
      account: { id: 'probe-1' },
    });
    expect(resilience.state).toBe('half-open');
    expect(await gauge()).toBe(2);
    await expect(identity.getAccount({ accountId: 'probe-2' })).resolves.toBeDefined();
    expect(resilience.state).toBe('closed');
    expect(await gauge()).toBe(0);
  });

  it('abandons a call when the caller aborts it', async () => {
    const port = await freePort();
    const { identity } = client(port, { retry: { maxRetries: 20, initialDelayMs: 50, maxDelayMs: 50 } });
    const controller = new AbortController();
    const call = identity.getAccount({ accountId: 'acc' }, { signal: controller.signal });
    await sleep(60);
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});
