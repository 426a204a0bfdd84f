import type { AuditService } from '@girok/contracts/audit/v1/audit';
import { Infra, infraEnv, loadInfraConfig, stderrProgress } from '@girok/e2e/infra';
import type { GrpcClient } from '@girok/kit/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAuditService } from '../src/audit-service.ts';
import type { OutgoingEvent } from '../src/repositories/cloud-event.ts';
import {
  auditClient,
  auditEvent,
  auditId,
  bearer,
  counts,
  createTestBed,
  metricValue,
  produce,
  sleep,
  storedIds,
  type TestBed,
  until,
} from './support.ts';

// The harness that started ClickHouse stops and resumes it (on the same data). A CLICKHOUSE_URL in
// the environment would make it "external" to this harness, so it is ignored here; the suite
// checks below that the server the tests use is the harness's own.
const config = loadInfraConfig({ ...process.env, CLICKHOUSE_URL: '' });
const infra = new Infra(config, stderrProgress());
const harnessUrl = `http://127.0.0.1:${config.ports.clickhouseHttp}`;

describe('ClickHouse stops under a stream of audit events', () => {
  let bed: TestBed;
  let service: RunningAuditService;
  let client: GrpcClient<typeof AuditService>;

  beforeAll(async () => {
    bed = await createTestBed();
    service = await bed.start({
      CLICKHOUSE_TIMEOUT_MS: '2000',
      // The platform's breaker (docs/architecture.md §4: 5 failures, 2 successes to close), half-opening sooner so the suite is short.
      CLICKHOUSE_BREAKER_HALF_OPEN_MS: '4000',
      AUDIT_CONSUMER_RETRY_MAX_MS: '1000',
    });
    client = auditClient(service);
  });

  afterAll(async () => {
    await infra.resume(['clickhouse']);
    client?.close();
    await bed?.teardown();
  });

  const committed = async () => {
    const admin = bed.kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({ groupId: bed.group, topics: [bed.eventsTopic] });
      return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };
  const breaker = () =>
    metricValue(service.metricsUrl, 'girok_circuit_breaker_state', { name: 'clickhouse' });

  it('opens the breaker, answers degraded reads at once, pauses consumption, and after the restart holds all N rows exactly once', async () => {
    expect(infraEnv('CLICKHOUSE_URL'), 'the suite must run against the harness ClickHouse').toBe(harnessUrl);
    const admin = bearer(await bed.tokens.admin(['audit:read']));
    expect(await breaker()).toBe(0);

    // 10 events every 50 ms until told to stop: the stream runs through ClickHouse's graceful
    // shutdown (it keeps answering for seconds after SIGTERM), the outage and the checks below.
    const events: OutgoingEvent[] = [];
    let stop = false;
    const streaming = (async () => {
      while (!stop) {
        const chunk = Array.from({ length: 10 }, () =>
          auditEvent({ service: 'auth', action: 'role.assign' }),
        );
        await produce(bed.kafka, bed.eventsTopic, chunk);
        events.push(...chunk);
        await sleep(50);
      }
    })();
    try {
      await until('the first rows', async () => (await counts(bed.clickhouse, bed.database)).rows >= 60);
      const before = (await client.listAdminActions({ page: { pageSize: 5 } }, admin)).events.length;
      expect(before).toBe(5);

      await infra.down(['clickhouse']);
      await until('the breaker open (gauge 1)', async () => (await breaker()) === 1, 30_000);

      // Reads: the safe default (an empty page) flagged degraded, without waiting on ClickHouse.
      const started = performance.now();
      const degraded = await client.listAdminActions({ page: { pageSize: 5 } }, admin);
      const rest = await fetch(`${service.httpUrl}/v1/admin-actions`, {
        headers: { authorization: admin.metadata.get('authorization')[0] as string },
      });
      const elapsed = performance.now() - started;
      expect(degraded).toMatchObject({ events: [], degraded: true, page: { nextPageToken: '' } });
      expect(rest.status).toBe(200);
      expect(await rest.json()).toMatchObject({ events: [], degraded: true });
      expect(elapsed).toBeLessThan(500);
      // Authorization still applies while degraded.
      await expect(client.listAdminActions({})).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });

      // The service stays up and in rotation; nothing past the unwritten events is committed.
      expect((await fetch(`${service.httpUrl}/health/live`)).status).toBe(200);
      expect((await fetch(`${service.httpUrl}/health/ready`)).status).toBe(200);
      const offsetsDuringOutage = await committed();
      const failedBefore =
        (await metricValue(service.metricsUrl, 'girok_consumer_events_total', {
          topic: bed.eventsTopic,
          result: 'failed',
        })) ?? 0;
      const producedBefore = events.length;
      await sleep(2500);
      expect(events.length).toBeGreaterThan(producedBefore);
      expect(await committed()).toBe(offsetsDuringOutage);
      expect(offsetsDuringOutage).toBeLessThan(events.length);
      expect(
        (await metricValue(service.metricsUrl, 'girok_consumer_events_total', {
          topic: bed.eventsTopic,
          result: 'failed',
        })) ?? 0,
      ).toBeGreaterThan(failedBefore);
    } finally {
      stop = true;
      await streaming.catch(() => {});
      await infra.resume(['clickhouse']);
    }
    const N = events.length;

    await until(
      'all N rows',
      async () => (await counts(bed.clickhouse, bed.database)).distinct === N,
      90_000,
    );
    await until('the breaker closed again', async () => (await breaker()) === 0, 30_000);
    await until('every offset committed', async () => (await committed()) === N, 30_000);
    expect(await counts(bed.clickhouse, bed.database)).toEqual({ rows: N, distinct: N, final: N });
    expect(new Set(await storedIds(bed.clickhouse, bed.database))).toEqual(new Set(events.map(auditId)));
    const after = await client.listAdminActions({ page: { pageSize: 5 } }, admin);
    expect(after.degraded).toBe(false);
    expect(after.events).toHaveLength(5);
  }, 240_000);
});
