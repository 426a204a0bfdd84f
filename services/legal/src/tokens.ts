/** Injection tokens for what is not a class of this service. */
export const CONFIG = Symbol('LegalConfig');
export const DATABASE = Symbol('Kysely<LegalDatabase>');
export const LOGGER = Symbol('Logger');
export const CLOCK = Symbol('Clock');
export const IDENTITY_CLIENT = Symbol('GrpcClient<IdentityService>');

/** Time as the service sees it; tests move it forward instead of waiting for a deadline. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
