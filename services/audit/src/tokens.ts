/** Injection tokens for what is not a class of this service. */
export const CONFIG = Symbol('AuditConfig');
export const LOGGER = Symbol('Logger');
export const METRICS = Symbol('Registry');
export const CLOCK = Symbol('Clock');
/** The `AuditStore`: ClickHouse, or local mode's embedded store. */
export const AUDIT_STORE = Symbol('AuditStore');
/** The resilience policy (timeout, retries, breaker) around every call to the store. */
export const STORE_POLICY = Symbol('ResiliencePolicy<audit-store>');

/** Time as the service sees it; tests move it instead of waiting years for retention. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
