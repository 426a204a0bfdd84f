import { randomUUID } from 'node:crypto';
import { AuditCategory, type AuditService } from '@girok/contracts/audit/v1/audit';
import type { GrpcClient } from '@girok/kit/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAuditService } from '../src/audit-service.ts';
import type { OutgoingEvent } from '../src/repositories/cloud-event.ts';
import {
  auditClient,
  auditEvent,
  bearer,
  counts,
  createTestBed,
  produce,
  type TestBed,
  until,
} from './support.ts';

const NOW = new Date('2026-11-26T10:00:00Z');
const clock = { now: () => NOW };
const account = randomUUID();

/** Old-dated events in every category, on both sides of each category's cut-off. */
const seed: Record<string, OutgoingEvent> = {
  accessDropped: auditEvent({
    action: 'account.login',
    actorId: account,
    now: new Date('2021-10-31T23:59:59Z'),
  }),
  accessKept: auditEvent({
    action: 'account.login',
    actorId: account,
    now: new Date('2021-11-01T00:00:00Z'),
  }),
  accessNow: auditEvent({ action: 'account.login', actorId: account, now: new Date('2026-11-20T00:00:00Z') }),
  consentDropped: auditEvent({
    action: 'consent.grant',
    actorId: account,
    now: new Date('2019-05-10T00:00:00Z'),
  }),
  adminDropped: auditEvent({
    service: 'auth',
    action: 'role.assign',
    actorId: randomUUID(),
    now: new Date('2021-10-01T00:00:00Z'),
  }),
  adminKept: auditEvent({
    service: 'auth',
    action: 'role.assign',
    actorId: randomUUID(),
    now: new Date('2026-01-01T00:00:00Z'),
  }),
  otherDropped: auditEvent({
    action: 'newsletter.subscribe',
    actorId: account,
    now: new Date('2024-10-31T12:00:00Z'),
  }),
  otherKept: auditEvent({
    action: 'newsletter.subscribe',
    actorId: account,
    now: new Date('2024-11-01T00:00:00Z'),
  }),
};

describe('retention by dropping partitions', () => {
  let bed: TestBed;
  let service: RunningAuditService;
  let client: GrpcClient<typeof AuditService>;

  const partitions = async () => {
    const result = await bed.clickhouse.query({
      query: `SELECT DISTINCT partition FROM system.parts WHERE database = '${bed.database}' AND table = 'audit_events' AND active ORDER BY partition`,
      format: 'JSONEachRow',
    });
    return (await result.json<{ partition: string }>()).map((p) => p.partition);
  };

  beforeAll(async () => {
    bed = await createTestBed();
    service = await bed.start({}, { clock });
    client = auditClient(service);
    await produce(bed.kafka, bed.eventsTopic, Object.values(seed));
    await until(
      'all rows',
      async () => (await counts(bed.clickhouse, bed.database)).rows === Object.keys(seed).length,
    );
  });

  afterAll(async () => {
    client?.close();
    await bed?.teardown();
  });

  it('stores each category and month in a partition of its own', async () => {
    expect(await partitions()).toEqual([
      "('access',202110)",
      "('access',202111)",
      "('access',202611)",
      "('admin',202110)",
      "('admin',202601)",
      "('consent',201905)",
      "('other',202410)",
      "('other',202411)",
    ]);
  });

  it('states the policy: five years of access and consent history', async () => {
    const { rules } = await client.getRetentionPolicy({}, bearer(await bed.tokens.admin(['audit:read'])));
    expect(rules.map((r) => [r.category, r.retentionMonths])).toEqual([
      [AuditCategory.ACCESS, 60],
      [AuditCategory.CONSENT, 60],
      [AuditCategory.ADMIN, 60],
      [AuditCategory.OTHER, 24],
    ]);
  });

  it('a dry run lists what is past the policy and drops nothing', async () => {
    const response = await client.applyRetention(
      { dryRun: true },
      bearer(await bed.tokens.admin(['audit:read'])),
    );
    expect(response.dryRun).toBe(true);
    expect(response.dropped.map((p) => [p.category, p.month, Number(p.rows)])).toEqual([
      [AuditCategory.CONSENT, '2019-05', 1],
      [AuditCategory.ACCESS, '2021-10', 1],
      [AuditCategory.ADMIN, '2021-10', 1],
      [AuditCategory.OTHER, '2024-10', 1],
    ]);
    expect(await partitions()).toHaveLength(8);
  });

  it('dropping needs audit:manage', async () => {
    await expect(
      client.applyRetention({ dryRun: false }, bearer(await bed.tokens.admin(['audit:read']))),
    ).rejects.toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await partitions()).toHaveLength(8);
  });

  it('drops exactly the partitions past the policy and keeps every row of the others', async () => {
    const manager = bearer(await bed.tokens.admin(['audit:read', 'audit:manage']));
    const response = await client.applyRetention({}, manager);
    expect(response.dropped.map((p) => [p.category, p.month])).toEqual([
      [AuditCategory.CONSENT, '2019-05'],
      [AuditCategory.ACCESS, '2021-10'],
      [AuditCategory.ADMIN, '2021-10'],
      [AuditCategory.OTHER, '2024-10'],
    ]);
    expect(await partitions()).toEqual([
      "('access',202111)",
      "('access',202611)",
      "('admin',202601)",
      "('other',202411)",
    ]);
    const result = await bed.clickhouse.query({
      query: `SELECT id FROM ${bed.database}.audit_events ORDER BY id`,
      format: 'JSONEachRow',
    });
    const kept = ['accessKept', 'accessNow', 'adminKept', 'otherKept'].map(
      (n) => ((seed[n] as OutgoingEvent).data as { id: string }).id,
    );
    expect((await result.json<{ id: string }>()).map((r) => r.id)).toEqual(kept.sort());
    // Idempotent: nothing more is past the policy.
    expect((await client.applyRetention({}, manager)).dropped).toEqual([]);
  });

  it('the REST face takes the same request', async () => {
    const response = await fetch(`${service.httpUrl}/v1/retention/apply`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await bed.tokens.admin(['audit:read'])}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ dryRun: true }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ dropped: [], dryRun: true });
  });

  it('every replica applies the policy on its timer', async () => {
    const old = auditEvent({
      action: 'account.login',
      actorId: account,
      now: new Date('2020-02-02T00:00:00Z'),
    });
    await produce(bed.kafka, bed.eventsTopic, [old]);
    await until('the old partition', async () => (await partitions()).includes("('access',202002)"));
    await bed.start(
      { AUDIT_RETENTION_INTERVAL_MS: '300', AUDIT_CONSUMER_GROUP: `${bed.group}-timer` },
      { clock },
    );
    await until(
      'the timer dropped it',
      async () => !(await partitions()).includes("('access',202002)"),
      10_000,
    );
    expect(await partitions()).toContain("('access',202111)");
  });
});
