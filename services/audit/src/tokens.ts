/** Injection tokens for what is not a class of this service. */
export const CONFIG = Symbol('AuditConfig');
export const LOGGER = Symbol('Logger');
export const METRICS = Symbol('Registry');
export const CLOCK = Symbol('Clock');
export const TOKEN_VERIFIER = Symbol('TokenVerifier');
export const CLICKHOUSE_POLICY = Symbol('ResiliencePolicy<clickhouse>');

/** Time as the service sees it; tests move it instead of waiting years for retention. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
