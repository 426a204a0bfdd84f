import { WORKLOAD_NAMES } from '@girok/contracts/access';
import { TokenVerifier } from '../auth/token-verifier.ts';
import type { ConfigReader } from '../config/config-reader.ts';
import { readWorkloadConfig, type WorkloadConfig, WorkloadVerifier } from '../workload/index.ts';
import { CallerAuthenticator, type UserTokenVerifier } from './caller.ts';

/** How a service proves its callers: end users by auth-service's access tokens, components by workload tokens. */
export interface CallerConfig {
  readonly accessTokens: {
    /** auth-service's JWKS (in a cluster, by its `auth.svc-<env>.<domain>` name). */
    readonly jwksUrl: string;
    readonly issuer: string;
    readonly audience: string;
    /** How long a fetched JWKS is trusted: a retired key stops verifying at most this long after. */
    readonly jwksCacheMaxAgeMs: number;
  };
  readonly workload: WorkloadConfig;
  /** `/metrics` listens here, apart from the API ports (0: any free port). */
  readonly metricsPort: number;
}

/** The caller settings every service reads the same way (AUTH_JWKS_URL, WORKLOAD_*, METRICS_PORT). */
export function readCallerConfig(read: ConfigReader, defaults: { metricsPort: number }): CallerConfig {
  const jwksUrl = read.string('AUTH_JWKS_URL', 'http://127.0.0.1:3001/.well-known/jwks.json');
  if (!URL.canParse(jwksUrl)) read.problem('AUTH_JWKS_URL must be a URL');
  return {
    accessTokens: {
      jwksUrl,
      issuer: read.string('AUTH_TOKEN_ISSUER', 'girok-auth'),
      audience: read.string('AUTH_TOKEN_AUDIENCE', 'girok'),
      jwksCacheMaxAgeMs: read.int('JWKS_CACHE_MAX_AGE_MS', 5 * 60_000, { min: 0 }),
    },
    workload: readWorkloadConfig(read),
    metricsPort: read.int('METRICS_PORT', defaults.metricsPort, { min: 0, max: 65535 }),
  };
}

/** The access-token verifier of a CallerConfig. */
export function accessTokenVerifier(config: CallerConfig): TokenVerifier {
  return new TokenVerifier({
    jwksUrl: config.accessTokens.jwksUrl,
    issuer: config.accessTokens.issuer,
    audience: config.accessTokens.audience,
    cacheMaxAgeMs: config.accessTokens.jwksCacheMaxAgeMs,
  });
}

/**
 * The CallerAuthenticator of a service: workload tokens verified against the configured issuer
 * (the cluster's service-account issuer, or local mode's), access tokens by `users` (default: a
 * TokenVerifier on auth-service's JWKS).
 */
export function createCallerAuthenticator(
  config: CallerConfig,
  users: UserTokenVerifier = accessTokenVerifier(config),
): CallerAuthenticator {
  return new CallerAuthenticator({
    users,
    workloads: new WorkloadVerifier({ ...config.workload, components: WORKLOAD_NAMES }),
  });
}
