import { randomUUID } from 'node:crypto';
import { toJson } from '@bufbuild/protobuf';
import { RoleAssignmentSchema, SanctionSchema, SanctionType } from '@girok/contracts/auth/v1/auth';
import { isUuid } from '@girok/kit/ids';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOPICS, anyAccountId, env, startAuth, type TestAuth } from './support.ts';

interface SeenEvent {
  readonly topic: string;
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly data: Record<string, unknown>;
}

function kafka() {
  return new kafkajs.Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: kafkajs.logLevel.NOTHING });
}

/** Where each partition of the auth topics ends now: the test reads only what comes after. */
async function highWatermarks(): Promise<Map<string, { partition: number; offset: string }[]>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const marks = new Map<string, { partition: number; offset: string }[]>();
    for (const topic of AUTH_TOPICS) {
      const offsets = await admin.fetchTopicOffsets(topic);
      marks.set(
        topic,
        offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      );
    }
    return marks;
  } finally {
    await admin.disconnect();
  }
}

/** Reads the auth topics from the given offsets until `done`, then a little longer (duplicates would show). */
async function readEvents(
  from: Map<string, { partition: number; offset: string }[]>,
  filter: (event: SeenEvent) => boolean,
  done: (events: SeenEvent[]) => boolean,
): Promise<SeenEvent[]> {
  const consumer = kafka().consumer({ groupId: `auth-events-test-${randomUUID()}` });
  const events: SeenEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: AUTH_TOPICS, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
      );
      const event = {
        topic,
        key: message.key?.toString() ?? '',
        headers,
        data: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
      };
      if (filter(event)) events.push(event);
    },
  });
  for (const [topic, partitions] of from) {
    for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
  }
  const deadline = Date.now() + 30_000;
  while (!done(events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return events;
}

describe('auth events through the outbox to Kafka', () => {
  let auth: TestAuth;
  beforeAll(async () => {
    // Role grants and warnings never call identity-service; none is needed here.
    auth = await startAuth('127.0.0.1:1');
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('a role assignment and a sanction arrive as exactly one CloudEvent each, with their audit events', async () => {
    const from = await highWatermarks();
    const accountId = anyAccountId();
    const actorId = anyAccountId();
    await auth.grpc.assignRole({ accountId: actorId, roleId: '00000000-0000-7000-8000-000000000002' });
    const { assignment } = await auth.grpc.assignRole({
      accountId,
      roleId: '00000000-0000-7000-8000-000000000003',
      actorId,
    });
    const { sanction } = await auth.grpc.createSanction({
      accountId,
      type: SanctionType.WARNING,
      reason: 'first warning',
      actorId,
    });
    if (assignment === undefined || sanction === undefined) throw new Error('expected both');

    const events = await readEvents(
      from,
      (e) => e.headers.ce_subject === accountId,
      (seen) => seen.length >= 4,
    );
    expect(events.map((e) => `${e.topic} ${e.headers.ce_type}`).sort()).toEqual(
      [
        'auth.role.v1 girok.auth.v1.role_assignment.assigned',
        'auth.sanction.v1 girok.auth.v1.sanction.created',
        'audit.event.v1 girok.audit.v1.event',
        'audit.event.v1 girok.audit.v1.event',
      ].sort(),
    );
    expect(new Set(events.map((e) => e.headers.ce_id)).size).toBe(4);

    const assigned = events.find((e) => e.headers.ce_type === 'girok.auth.v1.role_assignment.assigned');
    expect(assigned?.key).toBe(accountId);
    expect(assigned?.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_source: 'auth-service',
      ce_subject: accountId,
      'content-type': 'application/json',
    });
    expect(isUuid(assigned?.headers.ce_id ?? '')).toBe(true);
    expect(Number.isNaN(Date.parse(assigned?.headers.ce_time ?? ''))).toBe(false);
    expect(assigned?.data).toEqual({ assignment: toJson(RoleAssignmentSchema, assignment) });
    expect(assigned?.data).toMatchObject({ assignment: { roleName: 'support', grantedBy: actorId } });

    const created = events.find((e) => e.headers.ce_type === 'girok.auth.v1.sanction.created');
    expect(created?.key).toBe(accountId);
    expect(created?.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_source: 'auth-service',
      ce_subject: accountId,
    });
    expect(created?.data).toEqual({ sanction: toJson(SanctionSchema, sanction) });
    expect(created?.data).toMatchObject({
      sanction: { type: 'SANCTION_TYPE_WARNING', reason: 'first warning' },
    });

    const audits = events.filter((e) => e.topic === 'audit.event.v1');
    expect(audits.every((a) => a.key === actorId)).toBe(true);
    expect(audits.map((a) => a.data.action).sort()).toEqual(['role.assign', 'sanction.create']);
    expect(audits[0]?.data).toMatchObject({
      service: 'auth-service',
      actorId,
      targetType: 'account',
      targetId: accountId,
      result: 'AUDIT_RESULT_SUCCESS',
    });
    // Published rows leave the outbox.
    const pending = await auth.db.selectFrom('outbox_events').select('id').execute();
    expect(pending).toEqual([]);
  });
});
