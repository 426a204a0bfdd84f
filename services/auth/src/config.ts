import { ConfigReader } from '@girok/kit/config';
import { KeyRing } from '@girok/kit/crypto';
import { type KafkaSettings, readKafkaSettings } from '@girok/kit/events';
import { type CallerConfig, readCallerConfig } from '@girok/kit/rpc';

/** Everything auth-service reads from its environment, validated once at start-up. */
export interface AuthConfig {
  readonly serviceName: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  /** KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX. No brokers: local mode publishes events on the in-process bus instead of Kafka. */
  readonly kafka: KafkaSettings;
  /** The Kafka consumer group that answers data-subject requests (`legal.dsr.v1`). */
  readonly dsrConsumerGroup: string;
  /** identity-service's gRPC address (`host:port`): sessions are validated and revoked there. */
  readonly identityGrpcAddress: string;
  /** Deadline of one call to identity-service. */
  readonly identityDeadlineMs: number;
  /** AES-256-GCM key ring for the signing keys' private halves (`kid:base64,...`, first encrypts). */
  readonly keyRing: KeyRing;
  readonly token: {
    /** AUTH_TOKEN_ISSUER / AUTH_TOKEN_AUDIENCE, read with the caller settings: what it signs, it verifies. */
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtlSeconds: number;
  };
  readonly signingKeys: {
    /** The active key is replaced once it is this old. */
    readonly rotationMs: number;
    /** How often each replica checks whether a key is due for rotation or retirement. */
    readonly maintenanceIntervalMs: number;
    /** How long a replica trusts its copy of the active key and the JWKS (at most 10 s). */
    readonly cacheMs: number;
  };
  readonly shutdownGraceMs: number;
  /** Who may call: access tokens and workload tokens; the metrics port. */
  readonly callers: CallerConfig;
  /**
   * AUTH_JWKS_URL unset: the access tokens presented to auth-service are checked against its own
   * `/.well-known/jwks.json`, on the port it binds (the kit's default URL assumes port 3001).
   */
  readonly verifiesOwnTokens: boolean;
}

const HOUR = 3_600_000;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): AuthConfig {
  const read = new ConfigReader(env);
  const keyRingText = read.secret('AUTH_KEY_RING');
  let keyRing: KeyRing | undefined;
  try {
    if (keyRingText !== '') keyRing = KeyRing.parse(keyRingText);
  } catch (error) {
    read.problem(`AUTH_KEY_RING: ${(error as Error).message}`);
  }
  const verifiesOwnTokens = read.optionalString('AUTH_JWKS_URL') === undefined;
  const callers = readCallerConfig(read, { metricsPort: 9465 });
  const config: AuthConfig = {
    serviceName: 'auth-service',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    httpPort: read.int('HTTP_PORT', 3001, { min: 0, max: 65535 }),
    grpcPort: read.int('GRPC_PORT', 50052, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    databaseUrl: read.secret('DATABASE_URL'),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    kafka: readKafkaSettings(read),
    dsrConsumerGroup: read.string('DSR_CONSUMER_GROUP', 'auth-service'),
    identityGrpcAddress: read.string('IDENTITY_GRPC_ADDRESS'),
    identityDeadlineMs: read.int('IDENTITY_GRPC_DEADLINE_MS', 2_000, { min: 100, max: 60_000 }),
    keyRing: keyRing as KeyRing,
    token: {
      issuer: callers.accessTokens.issuer,
      audience: callers.accessTokens.audience,
      accessTokenTtlSeconds: read.int('AUTH_ACCESS_TOKEN_TTL_SECONDS', 900, { min: 60, max: 86_400 }),
    },
    signingKeys: {
      rotationMs: read.int('AUTH_SIGNING_KEY_ROTATION_HOURS', 720, { min: 1, max: 8_760 }) * HOUR,
      maintenanceIntervalMs: read.int('AUTH_SIGNING_KEY_CHECK_INTERVAL_MS', 60_000, { min: 100 }),
      cacheMs: read.int('AUTH_SIGNING_KEY_CACHE_MS', 10_000, { min: 0, max: 10_000 }),
    },
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    callers,
    verifiesOwnTokens,
  };
  read.done();
  return config;
}
