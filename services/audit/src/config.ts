import { ConfigReader } from '@girok/kit/config';
import { type CallerConfig, readCallerConfig } from '@girok/kit/rpc';

/** Everything audit-service reads from its environment, validated once at start-up. */
export interface AuditConfig {
  readonly serviceName: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly host: string;
  /**
   * Where the trail is kept: ClickHouse when CLICKHOUSE_URL is set, otherwise (local mode,
   * docs/architecture.md §6) the embedded store in the PGlite database AUDIT_LOCAL_DATABASE_URL names.
   */
  readonly store:
    | {
        readonly kind: 'clickhouse';
        /** HTTP interface, e.g. http://clickhouse:8123 (may carry credentials). */
        readonly url: string;
        /** Created at start-up if missing; an identifier (letters, digits, underscores). */
        readonly database: string;
        readonly maxConnections: number;
      }
    | {
        readonly kind: 'local';
        /** `pglite://memory` (gone with the process) or `pglite:///absolute/dir` (kept on disk). */
        readonly databaseUrl: string;
      };
  /** Around every call to the store, whichever it is (CLICKHOUSE_TIMEOUT_MS, _RETRIES, _BREAKER_*). */
  readonly storePolicy: {
    /** Per-attempt timeout of one read or write. */
    readonly timeoutMs: number;
    /** Extra attempts after a transient failure (connection refused or reset). */
    readonly retries: number;
    /** docs/architecture.md §4: opens after 5 consecutive failures, half-opens after 30 s, closes after 2 successes. */
    readonly breaker: {
      readonly consecutiveFailures: number;
      readonly halfOpenAfterMs: number;
      readonly closeAfterSuccesses: number;
    };
  };
  /** Empty: local mode takes events from (and answers DSRs on) the in-process bus. */
  readonly kafkaBrokers: string[];
  readonly topics: {
    /** Where every service's audit events arrive. */
    readonly events: string;
    /** The DSR protocol topic (legal-service asks, participants answer). */
    readonly dsr: string;
  };
  readonly consumer: {
    /** Consumer group of the audit-event writer; every replica joins it. */
    readonly groupId: string;
    /** Consumer group of the DSR participant. */
    readonly dsrGroupId: string;
    /** Partitions handled at once; their events share one ClickHouse batch. */
    readonly partitionsConcurrently: number;
    /** Backoff between attempts at a batch that cannot be written (full jitter). */
    readonly retryInitialMs: number;
    readonly retryMaxMs: number;
    /** How long the group waits for a member that stopped heartbeating (a crashed replica) before it reassigns its partitions. */
    readonly sessionTimeoutMs: number;
  };
  readonly batch: {
    /** Most events in one ClickHouse insert. */
    readonly size: number;
    /** Longest an event waits for others to share its insert. */
    readonly lingerMs: number;
    /**
     * Inserts in progress at once. Two never hold the same event: an event and its redeliveries
     * share a key, so a partition, whose batches are written one after the other.
     */
    readonly concurrency: number;
  };
  readonly retention: {
    readonly accessMonths: number;
    readonly consentMonths: number;
    readonly adminMonths: number;
    readonly otherMonths: number;
    /** How often each replica applies the policy; 0 turns the timer off (ApplyRetention still works). */
    readonly intervalMs: number;
  };
  readonly dsr: {
    /** Largest audit trail put into one DSR answer (the Kafka record must stay under 1 MiB). */
    readonly exportMaxBytes: number;
  };
  readonly shutdownGraceMs: number;
  /** Who may call: access tokens (auth-service's JWKS) and workload tokens; the metrics port. */
  readonly callers: CallerConfig;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): AuditConfig {
  const read = new ConfigReader(env);
  const database = read.string('CLICKHOUSE_DATABASE', 'audit');
  if (!IDENTIFIER.test(database)) {
    read.problem(`CLICKHOUSE_DATABASE must be an identifier (letters, digits, _), got "${database}"`);
  }
  // A URL present means the real server is used (docs/architecture.md §6); without one, the embedded store.
  const clickhouseUrl = read.optionalString('CLICKHOUSE_URL');
  if (clickhouseUrl !== undefined && !URL.canParse(clickhouseUrl))
    read.problem('CLICKHOUSE_URL must be a URL');
  const localDatabaseUrl = read.string('AUDIT_LOCAL_DATABASE_URL', 'pglite://memory');
  if (!localDatabaseUrl.startsWith('pglite:') || !URL.canParse(localDatabaseUrl)) {
    read.problem('AUDIT_LOCAL_DATABASE_URL must be pglite://memory or pglite:///absolute/dir');
  }
  const maxConnections = read.int('CLICKHOUSE_MAX_CONNECTIONS', 10, { min: 1, max: 100 });
  const topic = (name: string, fallback: string) => {
    const value = read.string(name, fallback);
    if (!TOPIC.test(value)) read.problem(`${name} must be a Kafka topic name, got "${value}"`);
    return value;
  };
  const group = read.string('AUDIT_CONSUMER_GROUP', 'audit-service');
  const config: AuditConfig = {
    serviceName: 'audit-service',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    httpPort: read.int('HTTP_PORT', 3010, { min: 0, max: 65535 }),
    grpcPort: read.int('GRPC_PORT', 50054, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    store:
      clickhouseUrl === undefined
        ? { kind: 'local', databaseUrl: localDatabaseUrl }
        : { kind: 'clickhouse', url: clickhouseUrl, database, maxConnections },
    storePolicy: {
      timeoutMs: read.int('CLICKHOUSE_TIMEOUT_MS', 5_000, { min: 100, max: 300_000 }),
      retries: read.int('CLICKHOUSE_RETRIES', 2, { min: 0, max: 10 }),
      breaker: {
        consecutiveFailures: read.int('CLICKHOUSE_BREAKER_FAILURES', 5, { min: 1, max: 100 }),
        halfOpenAfterMs: read.int('CLICKHOUSE_BREAKER_HALF_OPEN_MS', 30_000, { min: 100, max: 3_600_000 }),
        closeAfterSuccesses: read.int('CLICKHOUSE_BREAKER_CLOSE_SUCCESSES', 2, { min: 1, max: 100 }),
      },
    },
    kafkaBrokers: read.list('KAFKA_BROKERS', []),
    topics: {
      events: topic('AUDIT_EVENTS_TOPIC', 'audit.event.v1'),
      dsr: topic('DSR_TOPIC', 'legal.dsr.v1'),
    },
    consumer: {
      groupId: group,
      dsrGroupId: read.string('DSR_CONSUMER_GROUP', `${group}.dsr`),
      partitionsConcurrently: read.int('AUDIT_CONSUMER_CONCURRENCY', 6, { min: 1, max: 64 }),
      retryInitialMs: read.int('AUDIT_CONSUMER_RETRY_INITIAL_MS', 200, { min: 1, max: 60_000 }),
      retryMaxMs: read.int('AUDIT_CONSUMER_RETRY_MAX_MS', 5_000, { min: 1, max: 600_000 }),
      sessionTimeoutMs: read.int('AUDIT_CONSUMER_SESSION_TIMEOUT_MS', 30_000, { min: 6_000, max: 300_000 }),
    },
    batch: {
      size: read.int('AUDIT_BATCH_SIZE', 500, { min: 1, max: 100_000 }),
      lingerMs: read.int('AUDIT_BATCH_LINGER_MS', 200, { min: 0, max: 60_000 }),
      concurrency: read.int('AUDIT_WRITE_CONCURRENCY', 1, { min: 1, max: 16 }),
    },
    retention: {
      accessMonths: read.int('AUDIT_RETENTION_ACCESS_MONTHS', 60, { min: 1, max: 1200 }),
      consentMonths: read.int('AUDIT_RETENTION_CONSENT_MONTHS', 60, { min: 1, max: 1200 }),
      adminMonths: read.int('AUDIT_RETENTION_ADMIN_MONTHS', 60, { min: 1, max: 1200 }),
      otherMonths: read.int('AUDIT_RETENTION_OTHER_MONTHS', 24, { min: 1, max: 1200 }),
      intervalMs: read.int('AUDIT_RETENTION_INTERVAL_MS', 6 * 3_600_000, { min: 0 }),
    },
    dsr: {
      exportMaxBytes: read.int('DSR_EXPORT_MAX_BYTES', 512 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    },
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    callers: readCallerConfig(read, { metricsPort: 9467 }),
  };
  if (config.consumer.retryMaxMs < config.consumer.retryInitialMs) {
    read.problem('AUDIT_CONSUMER_RETRY_MAX_MS must not be below AUDIT_CONSUMER_RETRY_INITIAL_MS');
  }
  read.done();
  return config;
}
