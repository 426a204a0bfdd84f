import { WORKLOAD_NAMES } from '@girok/contracts/access';
import type { Registry } from 'prom-client';
import { createRevocationsConsumer } from '../auth/create-revocations-consumer.ts';
import { RevocationAwareVerifier } from '../auth/revocation-aware-verifier.ts';
import { revocationRetentionMs, SessionRevocations } from '../auth/session-revocations.ts';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, TokenVerifier } from '../auth/token-verifier.ts';
import type { ConfigReader } from '../config/config-reader.ts';
import type { InProcessBus } from '../events/in-process-bus.ts';
import type { KafkaSettings } from '../events/kafka-client.ts';
import type { Logger } from '../logging/logger.ts';
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
    /**
     * The longest `exp - iat` accepted (auth-service's access-token TTL plus the clock tolerance),
     * and so how long a revoked session is remembered.
     */
    readonly maxLifetimeSeconds: number;
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
      maxLifetimeSeconds: read.int('AUTH_TOKEN_MAX_LIFETIME_SECONDS', 930, { min: 60, max: 86_430 }),
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
    maxLifetimeSeconds: config.accessTokens.maxLifetimeSeconds,
  });
}

export interface RunningCallers {
  readonly callers: CallerAuthenticator;
  /** The revocations this replica knows of (tests wait on it). */
  readonly revocations: SessionRevocations;
  stop(): Promise<void>;
}

/**
 * A service's CallerAuthenticator with revocation: access tokens of sessions identity revoked (or
 * of deleted accounts) are refused as soon as this replica reads the event, not when they expire.
 * The revocations consumer starts in the background, like the DSR participant: a service never
 * waits for Kafka to answer calls, and until it catches up tokens are checked as before.
 */
export function startCallerAuthenticator(
  config: CallerConfig,
  options: {
    readonly service: string;
    readonly kafka: KafkaSettings;
    /** Local mode: the process's bus, on which identity publishes. */
    readonly bus?: InProcessBus;
    readonly logger: Logger;
    readonly registry?: Registry;
    /** Default: a TokenVerifier on auth-service's JWKS. */
    readonly tokens?: UserTokenVerifier;
  },
): RunningCallers {
  const retentionMs = revocationRetentionMs({
    maxLifetimeSeconds: config.accessTokens.maxLifetimeSeconds,
    clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
  });
  const revocations = new SessionRevocations({
    consumer: createRevocationsConsumer({
      service: options.service,
      kafka: options.kafka,
      lookBackMs: retentionMs,
      logger: options.logger,
      ...(options.bus === undefined ? {} : { bus: options.bus }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    }),
    retentionMs,
    logger: options.logger,
  });
  const started = revocations.start().catch((error: unknown) => {
    options.logger.error(
      { err: error },
      'revocations consumer did not start; tokens are checked until they expire',
    );
  });
  const tokens = options.tokens ?? accessTokenVerifier(config);
  return {
    callers: createCallerAuthenticator(config, new RevocationAwareVerifier(tokens, revocations)),
    revocations,
    stop: async () => {
      await started;
      await revocations.stop();
    },
  };
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
