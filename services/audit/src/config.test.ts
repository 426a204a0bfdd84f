import { ConfigError } from '@girok/kit/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

// How a cluster's workload tokens are verified: required of every service.
const workload = {
  WORKLOAD_ISSUER: 'https://kubernetes.default.svc',
  WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
  WORKLOAD_NAMESPACE: 'girok',
};
const minimal = { ...workload, CLICKHOUSE_URL: 'http://default:secret@127.0.0.1:8123' };

describe('audit config', () => {
  it('has the documented defaults: ports, batching, the breaker (5 / 30 s / 2), 5-year access and consent retention', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      httpPort: 3010,
      grpcPort: 50054,
      kafkaBrokers: [],
      store: { kind: 'clickhouse', url: minimal.CLICKHOUSE_URL, database: 'audit', maxConnections: 10 },
      storePolicy: {
        timeoutMs: 5_000,
        retries: 2,
        breaker: { consecutiveFailures: 5, halfOpenAfterMs: 30_000, closeAfterSuccesses: 2 },
      },
      topics: { events: 'audit.event.v1', dsr: 'legal.dsr.v1' },
      consumer: { groupId: 'audit-service', dsrGroupId: 'audit-service.dsr' },
      batch: { size: 500, lingerMs: 200, concurrency: 1 },
      retention: { accessMonths: 60, consentMonths: 60, adminMonths: 60, otherMonths: 24 },
      callers: { accessTokens: { issuer: 'girok-auth', audience: 'girok' }, metricsPort: 9467 },
    });
  });

  it('reads the knobs and the brokers', () => {
    const config = loadConfig({
      ...minimal,
      KAFKA_BROKERS: 'a:9092, b:9092',
      AUDIT_BATCH_SIZE: '50',
      AUDIT_BATCH_LINGER_MS: '10',
      CLICKHOUSE_BREAKER_HALF_OPEN_MS: '1000',
      AUDIT_RETENTION_OTHER_MONTHS: '12',
    });
    expect(config.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
    expect(config.batch).toEqual({ size: 50, lingerMs: 10, concurrency: 1 });
    expect(config.storePolicy.breaker.halfOpenAfterMs).toBe(1000);
    expect(config.retention.otherMonths).toBe(12);
  });

  it('without CLICKHOUSE_URL keeps the trail in the embedded store (local mode), in memory unless told where', () => {
    expect(loadConfig(workload).store).toEqual({ kind: 'local', databaseUrl: 'pglite://memory' });
    expect(
      loadConfig({ ...workload, CLICKHOUSE_URL: ' ', AUDIT_LOCAL_DATABASE_URL: 'pglite:///var/girok/audit' })
        .store,
    ).toEqual({ kind: 'local', databaseUrl: 'pglite:///var/girok/audit' });
    expect(() => loadConfig({ ...workload, AUDIT_LOCAL_DATABASE_URL: 'postgres://db/audit' })).toThrow(
      /AUDIT_LOCAL_DATABASE_URL must be pglite/,
    );
  });

  it('names every missing or bad variable at once, never echoing the ClickHouse URL', () => {
    try {
      loadConfig({
        CLICKHOUSE_URL: 'no url',
        CLICKHOUSE_DATABASE: 'audit; DROP',
        AUDIT_BATCH_SIZE: '0',
        HTTP_PORT: 'x',
        AUDIT_EVENTS_TOPIC: 'bad topic',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      for (const name of [
        'CLICKHOUSE_URL',
        'CLICKHOUSE_DATABASE',
        'AUDIT_BATCH_SIZE',
        'HTTP_PORT',
        'AUDIT_EVENTS_TOPIC',
      ]) {
        expect(text).toContain(name);
      }
    }
    try {
      loadConfig({ ...workload, CLICKHOUSE_URL: 'not a url with secret' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).not.toContain('secret');
    }
  });
});
