import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { isDependencyFailure, isTransientError } from './failure-classes.ts';
import { CIRCUIT_BREAKER_STATE_METRIC, createPolicy, type PolicyOptions } from './resilience-policy.ts';

const HALF_OPEN_AFTER_MS = 60;

const unavailable = () => new DomainError('UNAVAILABLE', 'UNAVAILABLE', 'identity-service is unavailable');
const invalid = () =>
  new DomainError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'bad', {
    fieldViolations: [{ field: 'email', description: 'required' }],
  });

/** A dependency whose next answers are scripted: `true` succeeds, an Error fails. */
function dependency() {
  let calls = 0;
  let behaviour: () => unknown = () => 'ok';
  return {
    get calls() {
      return calls;
    },
    succeed() {
      behaviour = () => 'ok';
    },
    fail(make: () => Error) {
      behaviour = () => {
        throw make();
      };
    },
    run: async (_signal: AbortSignal) => {
      calls++;
      return behaviour();
    },
  };
}

function policy(overrides: Partial<PolicyOptions> = {}) {
  const registry = new Registry();
  const p = createPolicy({
    name: 'identity-service',
    retry: { maxRetries: 0 },
    breaker: { halfOpenAfterMs: HALF_OPEN_AFTER_MS },
    registry,
    ...overrides,
  });
  const gauge = async () => {
    const metric = registry.getSingleMetric(CIRCUIT_BREAKER_STATE_METRIC);
    const values = (await metric?.get())?.values ?? [];
    return values.find((v) => v.labels.name === 'identity-service')?.value;
  };
  return { policy: p, gauge };
}

async function failTimes(run: () => Promise<unknown>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await expect(run()).rejects.toThrow();
}

async function openCircuit() {
  const dep = dependency();
  const { policy: p, gauge } = policy();
  dep.fail(unavailable);
  await failTimes(() => p.execute(dep.run), 5);
  return { dep, policy: p, gauge };
}

describe('circuit breaker', () => {
  it('stays closed through four consecutive failures and opens on the fifth', async () => {
    const dep = dependency();
    const { policy: p, gauge } = policy();
    dep.fail(unavailable);
    await failTimes(() => p.execute(dep.run), 4);
    expect(p.state).toBe('closed');
    expect(await gauge()).toBe(0);
    await failTimes(() => p.execute(dep.run), 1);
    expect(p.state).toBe('open');
    expect(await gauge()).toBe(1);
  });

  it('a success in between resets the count of consecutive failures', async () => {
    const dep = dependency();
    const { policy: p } = policy();
    dep.fail(unavailable);
    await failTimes(() => p.execute(dep.run), 4);
    dep.succeed();
    await p.execute(dep.run);
    dep.fail(unavailable);
    await failTimes(() => p.execute(dep.run), 4);
    expect(p.state).toBe('closed');
  });

  it('while open, rejects at once with DEPENDENCY_UNAVAILABLE without calling the dependency', async () => {
    const { dep, policy: p } = await openCircuit();
    dep.succeed();
    const started = performance.now();
    const error = await p.execute(dep.run).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5);
    expect(dep.calls).toBe(5);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: 'UNAVAILABLE',
      code: 'DEPENDENCY_UNAVAILABLE',
      retryAfterSeconds: 1,
    });
    expect((error as DomainError).message).toMatch(
      /^identity-service is unavailable \(circuit open after 5 consecutive failures\); retry after 1 s$/,
    );
  });

  it('goes half-open after halfOpenAfter; one success is not enough, the second closes it', async () => {
    const { dep, policy: p, gauge } = await openCircuit();
    await sleep(HALF_OPEN_AFTER_MS + 20);
    dep.succeed();
    await expect(p.execute(dep.run)).resolves.toBe('ok');
    expect(p.state).toBe('half-open');
    expect(await gauge()).toBe(2);
    await expect(p.execute(dep.run)).resolves.toBe('ok');
    expect(p.state).toBe('closed');
    expect(await gauge()).toBe(0);
  });

  it('a failure while half-open opens it again', async () => {
    const { dep, policy: p, gauge } = await openCircuit();
    await sleep(HALF_OPEN_AFTER_MS + 20);
    dep.succeed();
    await p.execute(dep.run);
    dep.fail(unavailable);
    await expect(p.execute(dep.run)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(p.state).toBe('open');
    expect(await gauge()).toBe(1);
    dep.succeed();
    await expect(p.execute(dep.run)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('rejected requests (invalid argument, not found) do not count toward opening it', async () => {
    const dep = dependency();
    const { policy: p } = policy();
    dep.fail(invalid);
    await failTimes(() => p.execute(dep.run), 10);
    expect(p.state).toBe('closed');
  });
});

describe('retry', () => {
  it('retries transient failures with backoff until one succeeds', async () => {
    const dep = dependency();
    const { policy: p } = policy({ retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 } });
    let attempts = 0;
    const result = await p.execute(async () => {
      attempts++;
      if (attempts < 3) throw unavailable();
      return dep.run(new AbortController().signal);
    });
    expect(result).toBe('ok');
    expect(attempts).toBe(3);
  });

  it('gives up after maxRetries and throws the last failure', async () => {
    const dep = dependency();
    const { policy: p } = policy({ retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 2 } });
    dep.fail(unavailable);
    await expect(p.execute(dep.run)).rejects.toMatchObject({ kind: 'UNAVAILABLE', code: 'UNAVAILABLE' });
    expect(dep.calls).toBe(3);
  });

  it('does not retry non-transient failures', async () => {
    const dep = dependency();
    const { policy: p } = policy({ retry: { maxRetries: 3, initialDelayMs: 1 } });
    dep.fail(invalid);
    const error = await p.execute(dep.run).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'email' }] });
    expect(dep.calls).toBe(1);
  });

  it('counts every attempt toward the breaker and stops retrying once it opens', async () => {
    const dep = dependency();
    const { policy: p } = policy({ retry: { maxRetries: 10, initialDelayMs: 1, maxDelayMs: 2 } });
    dep.fail(unavailable);
    await expect(p.execute(dep.run)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(dep.calls).toBe(5);
  });
});

describe('timeout', () => {
  it('bounds each attempt, aborts its signal and reports DEPENDENCY_TIMEOUT', async () => {
    const { policy: p } = policy({ timeoutMs: 20 });
    let seen: AbortSignal | undefined;
    const error = await p
      .execute(async (signal) => {
        seen = signal;
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
        return 'late';
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'DEADLINE_EXCEEDED', code: 'DEPENDENCY_TIMEOUT' });
    expect((error as Error).message).toBe('identity-service did not answer within 20 ms');
    expect(seen?.aborted).toBe(true);
  });
});

describe('fallback', () => {
  it('answers the safe default flagged degraded while the dependency is down', async () => {
    const { dep, policy: p } = await openCircuit();
    await expect(p.executeWithFallback(dep.run, () => 'default')).resolves.toEqual({
      value: 'default',
      degraded: true,
    });
    const fresh = policy().policy;
    await expect(fresh.executeWithFallback(dep.run, () => 'default')).resolves.toEqual({
      value: 'default',
      degraded: true,
    });
  });

  it('answers the real value undegraded when the dependency works, and rethrows rejections', async () => {
    const dep = dependency();
    const { policy: p } = policy();
    await expect(p.executeWithFallback(dep.run, () => 'default')).resolves.toEqual({
      value: 'ok',
      degraded: false,
    });
    dep.fail(invalid);
    await expect(p.executeWithFallback(dep.run, () => 'default')).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
    });
  });
});

describe('failure classes', () => {
  const grpcError = (code: number) => Object.assign(new Error('x'), { code, details: 'x', metadata: {} });
  const socketError = (code: string) => Object.assign(new Error(code), { code });

  it('treats unreachable dependencies as transient', () => {
    expect(isTransientError(unavailable())).toBe(true);
    expect(isTransientError(grpcError(14))).toBe(true);
    expect(isTransientError(socketError('ECONNREFUSED'))).toBe(true);
    expect(isTransientError(new Error('wrapped', { cause: socketError('ECONNRESET') }))).toBe(true);
  });

  it('does not retry rejections, timeouts or an open circuit downstream', () => {
    expect(isTransientError(invalid())).toBe(false);
    expect(isTransientError(grpcError(3))).toBe(false);
    expect(isTransientError(new DomainError('DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', 'late'))).toBe(false);
    expect(isTransientError(new DomainError('UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'open'))).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
  });

  it('counts internal errors and timeouts toward the circuit but not rejections', () => {
    expect(isDependencyFailure(new DomainError('INTERNAL', 'INTERNAL', 'Internal error'))).toBe(true);
    expect(isDependencyFailure(grpcError(4))).toBe(true);
    expect(isDependencyFailure(invalid())).toBe(false);
    expect(isDependencyFailure(new DomainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'none'))).toBe(false);
    expect(isDependencyFailure(grpcError(5))).toBe(false);
  });
});
