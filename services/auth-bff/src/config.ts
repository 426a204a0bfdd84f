import { ConfigReader } from '@girok/kit/config';
import { KeyRing } from '@girok/kit/crypto';
import { type KafkaSettings, readKafkaSettings } from '@girok/kit/events';
import { parseCidr } from './web/client-address.ts';

/** Everything auth-bff reads from its environment, validated once at start-up. */
export interface BffConfig {
  readonly serviceName: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly host: string;
  readonly identityGrpcAddress: string;
  readonly authGrpcAddress: string;
  readonly legalGrpcAddress: string;
  readonly auditGrpcAddress: string;
  readonly grpcDeadlineMs: number;
  /** Where auth-service publishes its signing keys. */
  readonly jwksUrl: string;
  /** How long a fetched JWKS is trusted: a retired key stops verifying at most this long after. */
  readonly jwksCacheMaxAgeMs: number;
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  /** Absent: local mode keeps browser sessions and pub/sub in process memory (one replica only). */
  readonly valkeyUrl: string | undefined;
  /** KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX. No brokers: local mode takes identity's events from the in-process bus. */
  readonly kafka: KafkaSettings;
  /** The Kafka consumer group every replica joins (each identity event reaches one of them). */
  readonly consumerGroup: string;
  /** Prefix of this deployment's keys and channels in Valkey. */
  readonly valkeyPrefix: string;
  /** AES-256-GCM key ring for the backend tokens kept behind the session cookie. */
  readonly keyRing: KeyRing;
  /** Origins allowed to open the WebSockets (exact match, e.g. https://app.example.com). */
  readonly allowedOrigins: string[];
  /** `explorer`: GraphiQL and schema introspection, both off unless configured. */
  readonly graphql: { readonly maxDepth: number; readonly maxComplexity: number; readonly explorer: boolean };
  /**
   * CIDRs of the proxies in front (the Gateway) whose X-Forwarded-For is believed. Empty: the TCP
   * peer is the client, whatever the header says.
   */
  readonly trustedProxies: readonly string[];
  /**
   * Sign-ups one client address may make per window, whatever they answer: every attempt costs an
   * argon2 hash at identity and tells whether a username is free.
   */
  readonly signUpRateLimit: { readonly perIp: number; readonly windowMs: number };
  /** How often each replica re-checks the sessions of its open sockets (the push path's fallback). */
  readonly sessionPollIntervalMs: number;
  /** How long a session's validity at identity-service is trusted before it is asked again. */
  readonly revocationCheckIntervalMs: number;
  readonly shutdownGraceMs: number;
  /** The BFF's own workload token (its projected ServiceAccount token), sent on every gRPC call. */
  readonly workloadTokenFile: string | undefined;
  /** `/metrics` listens here, apart from the API port. */
  readonly metricsPort: number;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): BffConfig {
  const read = new ConfigReader(env);
  const keyRingText = read.secret('BFF_KEY_RING');
  let keyRing: KeyRing | undefined;
  try {
    if (keyRingText !== '') keyRing = KeyRing.parse(keyRingText);
  } catch (error) {
    read.problem(`BFF_KEY_RING: ${(error as Error).message}`);
  }
  const httpPort = read.int('HTTP_PORT', 4000, { min: 0, max: 65535 });
  const config: BffConfig = {
    serviceName: 'auth-bff',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    httpPort,
    host: read.string('HOST', '0.0.0.0'),
    identityGrpcAddress: read.string('IDENTITY_GRPC_ADDRESS', '127.0.0.1:50051'),
    authGrpcAddress: read.string('AUTH_GRPC_ADDRESS', '127.0.0.1:50052'),
    legalGrpcAddress: read.string('LEGAL_GRPC_ADDRESS', '127.0.0.1:50053'),
    auditGrpcAddress: read.string('AUDIT_GRPC_ADDRESS', '127.0.0.1:50054'),
    grpcDeadlineMs: read.int('GRPC_DEADLINE_MS', 5000, { min: 100 }),
    jwksUrl: read.string('AUTH_JWKS_URL', 'http://127.0.0.1:3001/.well-known/jwks.json'),
    jwksCacheMaxAgeMs: read.int('JWKS_CACHE_MAX_AGE_MS', 5 * 60_000, { min: 0 }),
    tokenIssuer: read.string('AUTH_TOKEN_ISSUER', 'girok-auth'),
    tokenAudience: read.string('AUTH_TOKEN_AUDIENCE', 'girok'),
    valkeyUrl: read.optionalString('VALKEY_URL'),
    kafka: readKafkaSettings(read),
    consumerGroup: read.string('BFF_CONSUMER_GROUP', 'auth-bff'),
    valkeyPrefix: read.string('BFF_VALKEY_PREFIX', 'bff:'),
    keyRing: keyRing as KeyRing,
    allowedOrigins: read.list('BFF_ALLOWED_ORIGINS', [`http://localhost:${httpPort}`]),
    graphql: {
      maxDepth: read.int('GRAPHQL_MAX_DEPTH', 8, { min: 2, max: 50 }),
      maxComplexity: read.int('GRAPHQL_MAX_COMPLEXITY', 300, { min: 10 }),
      explorer: read.bool('BFF_GRAPHQL_EXPLORER', false),
    },
    trustedProxies: read.list('BFF_TRUSTED_PROXIES', []),
    signUpRateLimit: {
      perIp: read.int('BFF_SIGNUP_RATE_LIMIT_PER_IP', 10, { min: 1 }),
      windowMs: read.int('BFF_SIGNUP_RATE_LIMIT_WINDOW_MS', 10 * 60_000, { min: 1000 }),
    },
    sessionPollIntervalMs: read.int('SESSION_POLL_INTERVAL_MS', 5000, { min: 100 }),
    revocationCheckIntervalMs: read.int('REVOCATION_CHECK_INTERVAL_MS', 5000, { min: 0 }),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    workloadTokenFile: read.optionalString('WORKLOAD_TOKEN_FILE'),
    metricsPort: read.int('METRICS_PORT', 9468, { min: 0, max: 65535 }),
  };
  for (const cidr of config.trustedProxies) {
    try {
      parseCidr(cidr);
    } catch (error) {
      read.problem(`BFF_TRUSTED_PROXIES: ${(error as Error).message}`);
    }
  }
  read.done();
  return config;
}
