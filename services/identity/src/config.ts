import { ConfigReader } from '@girok/kit/config';
import { KeyRing } from '@girok/kit/crypto';
import { type KafkaSettings, readKafkaSettings } from '@girok/kit/events';
import { type CallerConfig, readCallerConfig } from '@girok/kit/rpc';

export interface RateLimitConfig {
  readonly limit: number;
  readonly windowMs: number;
}

export interface SessionLifetime {
  /** Sliding: a session unused this long ends. */
  readonly idleMs: number;
  /** Absolute: a session ends this long after login whatever happens. */
  readonly absoluteMs: number;
}

/** Everything identity-service reads from its environment, validated once at start-up. */
export interface IdentityConfig {
  readonly serviceName: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  /** Absent: local mode keeps short-lived state in process memory (one replica only). */
  readonly valkeyUrl: string | undefined;
  /** KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX. No brokers: local mode publishes events on the in-process bus instead of Kafka. */
  readonly kafka: KafkaSettings;
  /** The Kafka consumer group that answers data-subject requests (`legal.dsr.v1`). */
  readonly dsrConsumerGroup: string;
  /** AES-256-GCM key ring for TOTP secrets and grace-window successors: `kid:base64,...`. */
  readonly keyRing: KeyRing;
  /** Server-side pepper for backup-code hashes. */
  readonly backupCodePepper: string;
  readonly totpIssuer: string;
  readonly lockout: { readonly maxFailures: number; readonly durationMs: number };
  readonly loginRateLimit: { readonly perIp: RateLimitConfig; readonly perAccount: RateLimitConfig };
  readonly mfaChallenge: { readonly ttlMs: number; readonly maxAttempts: number };
  readonly sessions: { readonly user: SessionLifetime; readonly admin: SessionLifetime };
  /** A repeat of a just-rotated refresh token within this window gets the same successor. */
  readonly refreshGraceMs: number;
  readonly deletionGraceMs: number;
  readonly deletionSweepIntervalMs: number;
  readonly shutdownGraceMs: number;
  /** Who may call: access tokens (auth-service's JWKS) and workload tokens; the metrics port. */
  readonly callers: CallerConfig;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): IdentityConfig {
  const read = new ConfigReader(env);
  const keyRingText = read.secret('IDENTITY_KEY_RING');
  let keyRing: KeyRing | undefined;
  try {
    if (keyRingText !== '') keyRing = KeyRing.parse(keyRingText);
  } catch (error) {
    read.problem(`IDENTITY_KEY_RING: ${(error as Error).message}`);
  }
  const config: IdentityConfig = {
    serviceName: 'identity-service',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    httpPort: read.int('HTTP_PORT', 3000, { min: 0, max: 65535 }),
    grpcPort: read.int('GRPC_PORT', 50051, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    databaseUrl: read.secret('DATABASE_URL'),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    valkeyUrl: read.optionalString('VALKEY_URL'),
    kafka: readKafkaSettings(read),
    dsrConsumerGroup: read.string('DSR_CONSUMER_GROUP', 'identity-service'),
    keyRing: keyRing as KeyRing,
    backupCodePepper: read.secret('IDENTITY_BACKUP_CODE_PEPPER'),
    totpIssuer: read.string('TOTP_ISSUER', 'Girok'),
    lockout: {
      maxFailures: read.int('LOCKOUT_MAX_FAILURES', 5, { min: 1, max: 100 }),
      durationMs: read.int('LOCKOUT_DURATION_MS', 15 * MINUTE, { min: 1000 }),
    },
    loginRateLimit: {
      perIp: {
        limit: read.int('LOGIN_RATE_LIMIT_PER_IP', 30, { min: 1 }),
        windowMs: read.int('LOGIN_RATE_LIMIT_WINDOW_MS', MINUTE, { min: 1000 }),
      },
      perAccount: {
        limit: read.int('LOGIN_RATE_LIMIT_PER_ACCOUNT', 10, { min: 1 }),
        windowMs: read.int('LOGIN_RATE_LIMIT_WINDOW_MS', MINUTE, { min: 1000 }),
      },
    },
    mfaChallenge: { ttlMs: 5 * MINUTE, maxAttempts: 3 },
    sessions: {
      user: { idleMs: 7 * DAY, absoluteMs: 30 * DAY },
      admin: { idleMs: 8 * HOUR, absoluteMs: 24 * HOUR },
    },
    refreshGraceMs: read.int('REFRESH_GRACE_MS', 10_000, { min: 0, max: 60_000 }),
    deletionGraceMs: 30 * DAY,
    deletionSweepIntervalMs: read.int('DELETION_SWEEP_INTERVAL_MS', MINUTE, { min: 100 }),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    callers: readCallerConfig(read, { metricsPort: 9464 }),
  };
  read.done();
  return config;
}
