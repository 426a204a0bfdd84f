/** Injection tokens for what is not a class of this service. */
export const CONFIG = Symbol('IdentityConfig');
export const DATABASE = Symbol('Kysely<IdentityDatabase>');
export const LOGGER = Symbol('Logger');
export const KV_STORE = Symbol('KeyValueStore');
export const CLOCK = Symbol('Clock');
export const METRICS = Symbol('Registry');

/** Time as the service sees it; tests move it forward instead of sleeping 15 minutes. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
