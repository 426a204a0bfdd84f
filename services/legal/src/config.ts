import { ConfigReader } from '@girok/kit/config';
import { type KafkaSettings, readKafkaSettings } from '@girok/kit/events';
import { type CallerConfig, readCallerConfig } from '@girok/kit/rpc';

/** The services that answer every erasure, access and portability request unless configured otherwise. */
export const DEFAULT_DSR_PARTICIPANTS = [
  'identity-service',
  'auth-service',
  'legal-service',
  'audit-service',
];

const SERVICE_NAME = /^[a-z][a-z0-9-]{1,62}$/;

/** Everything legal-service reads from its environment, validated once at start-up. */
export interface LegalConfig {
  readonly serviceName: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  /** KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX. No brokers: local mode publishes and consumes events on the in-process bus instead of Kafka. */
  readonly kafka: KafkaSettings;
  /** identity-service's gRPC address (`host:port`): an account's country is read there. */
  readonly identityGrpcAddress: string;
  readonly identityDeadlineMs: number;
  readonly documents: {
    /** The locale a document falls back to when neither the asked locale nor its language exists. */
    readonly defaultLocale: string;
  };
  readonly dsr: {
    /** Services that must answer an erasure, access or portability request. */
    readonly participants: string[];
    /** Days to answer when no law of the registry applies to the country (GDPR's one month). */
    readonly defaultDeadlineDays: number;
    /** How often each replica recomputes the escalation of open requests. */
    readonly escalationIntervalMs: number;
    /** The consumer group reading legal.dsr.v1 (one per deployment). */
    readonly consumerGroup: string;
    /** A group with no committed offset starts at the oldest record (no request is ever missed). */
    readonly consumerFromBeginning: boolean;
    /**
     * Secret key of the salted hash that replaces an erased account's id in the consent history
     * (HMAC-SHA256): the person can still prove a consent with their id, nobody can list it by id.
     */
    readonly erasurePepper: Buffer;
  };
  readonly shutdownGraceMs: number;
  /**
   * Who may call: access tokens (auth-service's JWKS) and workload tokens; the metrics port; the
   * workload token file legal-service calls identity-service with.
   */
  readonly callers: CallerConfig;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): LegalConfig {
  const read = new ConfigReader(env);
  const pepperText = read.secret('LEGAL_ERASURE_PEPPER');
  const pepper = Buffer.from(pepperText, 'base64');
  if (pepperText !== '' && pepper.length < 32) {
    read.problem('LEGAL_ERASURE_PEPPER must be at least 32 bytes, base64-encoded');
  }
  const participants = read.list('DSR_PARTICIPANTS', DEFAULT_DSR_PARTICIPANTS);
  const badParticipants = participants.filter((name) => !SERVICE_NAME.test(name));
  if (
    participants.length === 0 ||
    badParticipants.length > 0 ||
    new Set(participants).size !== participants.length
  ) {
    read.problem('DSR_PARTICIPANTS must be a comma-separated list of distinct service names (a-z 0-9 -)');
  }
  const defaultLocale = read.string('LEGAL_DEFAULT_LOCALE', 'en');
  try {
    Intl.getCanonicalLocales(defaultLocale);
  } catch {
    read.problem('LEGAL_DEFAULT_LOCALE must be a BCP 47 language tag, such as en or en-US');
  }
  const config: LegalConfig = {
    serviceName: 'legal-service',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    httpPort: read.int('HTTP_PORT', 3005, { min: 0, max: 65535 }),
    grpcPort: read.int('GRPC_PORT', 50053, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    databaseUrl: read.secret('DATABASE_URL'),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    kafka: readKafkaSettings(read),
    identityGrpcAddress: read.string('IDENTITY_GRPC_ADDRESS', '127.0.0.1:50051'),
    identityDeadlineMs: read.int('IDENTITY_GRPC_DEADLINE_MS', 2_000, { min: 100, max: 60_000 }),
    documents: { defaultLocale },
    dsr: {
      participants,
      defaultDeadlineDays: read.int('DSR_DEFAULT_DEADLINE_DAYS', 30, { min: 1, max: 90 }),
      escalationIntervalMs: read.int('DSR_ESCALATION_INTERVAL_MS', 15 * 60_000, { min: 50 }),
      consumerGroup: read.string('LEGAL_CONSUMER_GROUP', 'legal-service'),
      consumerFromBeginning: read.bool('LEGAL_CONSUMER_FROM_BEGINNING', true),
      erasurePepper: pepper,
    },
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    callers: readCallerConfig(read, { metricsPort: 9466 }),
  };
  read.done();
  return config;
}
