import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  isBrokenCircuitError,
  isIsolatedCircuitError,
  isTaskCancelledError,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';
import { DomainError } from '../errors/domain-error.ts';
import type { Logger } from '../logging/logger.ts';
import {
  DEPENDENCY_TIMEOUT,
  DEPENDENCY_UNAVAILABLE,
  isDependencyFailure,
  isTransientError,
} from './failure-classes.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface RetryOptions {
  /** Attempts after the first one; 0 turns retries off. Default 2. */
  readonly maxRetries?: number;
  /** First backoff; later ones grow exponentially with decorrelated jitter. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Upper bound of one backoff. Default 2 000 ms. */
  readonly maxDelayMs?: number;
}

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  readonly consecutiveFailures?: number;
  /** How long the circuit stays open before it lets trial calls through. Default 30 000 ms. */
  readonly halfOpenAfterMs?: number;
  /** Consecutive successful trial calls needed to close it again. Default 2. */
  readonly closeAfterSuccesses?: number;
}

export interface PolicyOptions {
  /** The dependency, as operators know it (`identity-service`, `clickhouse`); a metric label. */
  readonly name: string;
  /** Per-attempt timeout. Omit when the call bounds itself (a gRPC deadline). */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  readonly breaker?: BreakerOptions;
  /** Which failures are worth another attempt. Default {@link isTransientError}. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Which failures count toward opening the circuit. Default {@link isDependencyFailure}. */
  readonly isFailure?: (error: unknown) => boolean;
  /** Where `girok_circuit_breaker_state{name}` is registered; no metric without one. */
  readonly registry?: Registry;
  readonly logger?: Logger;
}

/** A value that may be a safe default because the dependency that computes it is down. */
export interface Degradable<T> {
  readonly value: T;
  readonly degraded: boolean;
}

export const CIRCUIT_BREAKER_STATE_METRIC = 'girok_circuit_breaker_state';

const GAUGE_VALUE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.Open]: 1,
  [CircuitState.HalfOpen]: 2,
  [CircuitState.Isolated]: 1,
};

const STATE_NAME: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * The one way outbound calls are made (docs/architecture.md §4): per-attempt timeout, retry with exponential
 * backoff and jitter for transient failures, and a circuit breaker. Retry wraps the breaker, so
 * every attempt counts toward the breaker and an open circuit ends the retries at once.
 */
export class ResiliencePolicy {
  readonly name: string;
  readonly #policy: IPolicy;
  readonly #breakerState: () => CircuitState;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #timeoutMs: number | undefined;
  readonly #halfOpenAfterMs: number;
  readonly #consecutiveFailures: number;
  #openedAt = 0;

  constructor(options: PolicyOptions) {
    this.name = options.name;
    this.#timeoutMs = options.timeoutMs;
    this.#isFailure = options.isFailure ?? isDependencyFailure;
    this.#halfOpenAfterMs = options.breaker?.halfOpenAfterMs ?? 30_000;
    this.#consecutiveFailures = options.breaker?.consecutiveFailures ?? 5;
    const logger = options.logger?.child({ dependency: options.name });

    const breaker = circuitBreaker(handleWhen(this.#isFailure), {
      breaker: new ConsecutiveBreaker(this.#consecutiveFailures),
      halfOpenAfter: this.#halfOpenAfterMs,
      // Two trial calls, neither may fail: one lucky success does not close the circuit.
      halfOpenSampling: { calls: options.breaker?.closeAfterSuccesses ?? 2, threshold: 0 },
    });
    this.#breakerState = () => breaker.state;

    const gauge = options.registry === undefined ? undefined : breakerGauge(options.registry);
    gauge?.set({ name: this.name }, 0);
    breaker.onStateChange((state) => {
      if (state === CircuitState.Open || state === CircuitState.Isolated) this.#openedAt = Date.now();
      gauge?.set({ name: this.name }, GAUGE_VALUE[state]);
      if (state === CircuitState.Closed) logger?.info('circuit closed: dependency recovered');
      else if (state === CircuitState.HalfOpen) logger?.info('circuit half-open: sending trial calls');
      else logger?.warn({ halfOpenAfterMs: this.#halfOpenAfterMs }, 'circuit opened: failing fast');
    });

    const retryOptions = options.retry ?? {};
    const retrying = retry(handleWhen(options.isTransient ?? isTransientError), {
      maxAttempts: retryOptions.maxRetries ?? 2,
      backoff: new ExponentialBackoff({
        initialDelay: retryOptions.initialDelayMs ?? 100,
        maxDelay: retryOptions.maxDelayMs ?? 2_000,
        generator: decorrelatedJitterGenerator,
      }),
    });
    retrying.onRetry((event) => {
      const error = 'error' in event ? event.error : undefined;
      logger?.warn(
        { attempt: event.attempt, delayMs: Math.round(event.delay), err: error },
        'transient failure, retrying',
      );
    });

    this.#policy =
      this.#timeoutMs === undefined
        ? wrap(retrying, breaker)
        : wrap(retrying, breaker, timeout(this.#timeoutMs, TimeoutStrategy.Aggressive));
  }

  get state(): BreakerState {
    return STATE_NAME[this.#breakerState()];
  }

  /**
   * Runs `fn` under the policy. `fn` receives a signal that aborts when its attempt times out or
   * the caller's `signal` aborts; it should pass it on to the client library it calls.
   * Throws `DomainError(UNAVAILABLE, DEPENDENCY_UNAVAILABLE)` while the circuit is open and
   * `DomainError(DEADLINE_EXCEEDED, DEPENDENCY_TIMEOUT)` when the last attempt timed out.
   */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.#policy.execute(({ signal: attemptSignal }) => fn(attemptSignal), signal);
    } catch (error) {
      throw this.#translate(error, signal);
    }
  }

  /**
   * Like {@link execute}, but when the dependency is down (circuit open, timeout, or a failure
   * that counts toward the circuit) it answers `fallback()` flagged as degraded, so the response
   * can say so. Rejections that are the caller's fault (invalid argument, not found) still throw.
   */
  async executeWithFallback<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    fallback: () => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<Degradable<T>> {
    try {
      return { value: await this.execute(fn, signal), degraded: false };
    } catch (error) {
      if (signal?.aborted || !this.#isDegradation(error)) throw error;
      return { value: await fallback(), degraded: true };
    }
  }

  #isDegradation(error: unknown): boolean {
    if (
      error instanceof DomainError &&
      (error.code === DEPENDENCY_UNAVAILABLE || error.code === DEPENDENCY_TIMEOUT)
    ) {
      return true;
    }
    return this.#isFailure(error);
  }

  #translate(error: unknown, signal: AbortSignal | undefined): unknown {
    if (isBrokenCircuitError(error)) {
      if (isIsolatedCircuitError(error)) {
        return new DomainError(
          'UNAVAILABLE',
          DEPENDENCY_UNAVAILABLE,
          `${this.name} is unavailable (circuit held open by an operator)`,
          { cause: error },
        );
      }
      const remainingMs = Math.max(0, this.#halfOpenAfterMs - (Date.now() - this.#openedAt));
      const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
      return new DomainError(
        'UNAVAILABLE',
        DEPENDENCY_UNAVAILABLE,
        `${this.name} is unavailable (circuit open after ${this.#consecutiveFailures} consecutive failures); ` +
          `retry after ${retryAfterSeconds} s`,
        { retryAfterSeconds, cause: error },
      );
    }
    if (isTaskCancelledError(error) && signal?.aborted !== true && this.#timeoutMs !== undefined) {
      return new DomainError(
        'DEADLINE_EXCEEDED',
        DEPENDENCY_TIMEOUT,
        `${this.name} did not answer within ${this.#timeoutMs} ms`,
        { cause: error },
      );
    }
    return error;
  }
}

export function createPolicy(options: PolicyOptions): ResiliencePolicy {
  return new ResiliencePolicy(options);
}

/** One gauge per registry, shared by every policy registered in it (a label per dependency). */
function breakerGauge(registry: Registry): Gauge<'name'> {
  const existing = registry.getSingleMetric(CIRCUIT_BREAKER_STATE_METRIC);
  if (existing instanceof Gauge) return existing as Gauge<'name'>;
  return new Gauge({
    name: CIRCUIT_BREAKER_STATE_METRIC,
    help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open',
    labelNames: ['name'],
    registers: [registry],
  });
}
