import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { client, IDENTITY_TOPICS, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

interface SeenEvent {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly key: string;
  readonly data: unknown;
}

/** Reads the identity topics from the beginning until `done` says enough, then a little longer. */
async function readEvents(
  filter: (event: SeenEvent) => boolean,
  done: (events: SeenEvent[]) => boolean,
): Promise<SeenEvent[]> {
  const kafka = new kafkajs.Kafka({
    brokers: inject('infraEnv').KAFKA_BROKERS?.split(',') ?? [],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `identity-events-test-${randomUUID()}` });
  const events: SeenEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: IDENTITY_TOPICS, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const header = (name: string) => message.headers?.[name]?.toString() ?? '';
      const event = {
        id: header('ce_id'),
        type: header('ce_type'),
        topic,
        key: message.key?.toString() ?? '',
        data: JSON.parse(message.value?.toString() ?? 'null'),
      };
      if (filter(event)) events.push(event);
    },
  });
  const deadline = Date.now() + 30_000;
  while (!done(events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500)); // anything duplicated would arrive now
  await consumer.disconnect();
  return events;
}

describe('identity events through the outbox', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  it('each state change yields exactly one CloudEvent, keyed by the account, in order', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount({ ...input, client: client() });
    const accountId = account?.id ?? '';
    const login = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client(),
    });
    if (login.result.case !== 'session') throw new Error('expected a session');
    await identity.grpc.refreshSession({ refreshToken: login.result.value.refreshToken });
    await identity.grpc.updateProfile({ accountId, displayName: 'Renamed' });
    await identity.grpc.revokeSession({ accountId, sessionId: login.result.value.session?.id ?? '' });

    const expected = [
      'identity.account.v1 girok.identity.v1.account.created',
      'identity.profile.v1 girok.identity.v1.profile.created',
      'identity.device.v1 girok.identity.v1.device.registered',
      'identity.session.v1 girok.identity.v1.session.created',
      'identity.session.v1 girok.identity.v1.session.refreshed',
      'identity.profile.v1 girok.identity.v1.profile.updated',
      'identity.session.v1 girok.identity.v1.session.revoked',
      'audit.event.v1 girok.audit.v1.event',
      'audit.event.v1 girok.audit.v1.event',
      'audit.event.v1 girok.audit.v1.event',
    ];
    const events = await readEvents(
      (e) => e.key === accountId,
      (seen) => seen.length >= expected.length,
    );
    expect(events.map((e) => `${e.topic} ${e.type}`).sort()).toEqual([...expected].sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // Per topic, the order of the state changes is kept (one key → one partition).
    expect(
      events.filter((e) => e.topic === 'identity.session.v1').map((e) => e.type.split('.').at(-1)),
    ).toEqual(['created', 'refreshed', 'revoked']);
    const audit = events
      .filter((e) => e.topic === 'audit.event.v1')
      .map((e) => (e.data as { action: string }).action);
    expect(audit.sort()).toEqual(['account.create', 'account.login', 'session.revoke']);
    const created = events.find((e) => e.type.endsWith('account.created'))?.data as {
      account: { email: string };
    };
    expect(created.account.email).toBe(input.email);
    expect(JSON.stringify(events)).not.toContain(input.password);
    expect(JSON.stringify(events)).not.toContain(login.result.value.refreshToken);
  });
});

describe('identity events when the relay is killed mid-batch', () => {
  let identity: TestIdentity;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    identity = await startTestIdentity({}, { relay: false });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await identity?.close();
  });

  const fixture = fileURLToPath(new URL('../../kit/test/fixtures/outbox-relay-process.ts', import.meta.url));
  function relayProcess(extraEnv: Record<string, string>) {
    const child = spawn(process.execPath, [fixture], {
      env: {
        ...process.env,
        OUTBOX_DATABASE_URL: identity.config.databaseUrl,
        OUTBOX_KAFKA_BROKERS: identity.config.kafka.brokers.join(','),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let acked = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      acked += (chunk.toString().match(/acked/g) ?? []).length;
    });
    return { child, acked: () => acked };
  }

  const pending = async () =>
    Number(
      (
        await identity.db
          .selectFrom('outbox_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('delivers every event of every state change exactly once after a SIGKILL and a restart', async () => {
    for (let i = 0; i < 40; i += 1) {
      const input = newAccount();
      await identity.grpc.createAccount(input);
      await identity.grpc.authenticate({
        identifier: input.email,
        password: input.password,
        client: client('203.0.113.50', `dev-${i}`),
      });
    }
    const written = await identity.db.selectFrom('outbox_events').select(['id', 'type']).execute();
    expect(written).toHaveLength(40 * 6);
    const ids = new Set(written.map((row) => row.id));

    const first = relayProcess({ OUTBOX_BATCH_SIZE: '25', OUTBOX_ACK_DELAY_MS: '400' });
    while (first.acked() < 3) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL'); // Kafka has acked a batch whose rows the relay has not deleted yet
    await new Promise((r) => first.child.once('exit', r));
    const left = await pending();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(written.length);

    const second = relayProcess({ OUTBOX_BATCH_SIZE: '100' });
    const deadline = Date.now() + 30_000;
    while ((await pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await pending()).toBe(0);
    second.child.kill('SIGTERM');

    const events = await readEvents(
      (e) => ids.has(e.id),
      (seen) => seen.length >= ids.size,
    );
    const counts = new Map<string, number>();
    for (const event of events) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
    expect(counts.size).toBe(ids.size);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  });
});
