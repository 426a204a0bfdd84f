import type { JsonValue } from '@bufbuild/protobuf';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type DsrDatabase, DsrParticipant, type DsrRequest, dsrAnswersMigration } from '../src/dsr/index.ts';
import { type EventRecord, InProcessBus, LocalEventConsumer } from '../src/events/index.ts';
import { uuidv7 } from '../src/ids/index.ts';
import type { OutboxDatabase } from '../src/outbox/index.ts';
import { createTestDatabase, silentLogger, type TestDatabase } from './fixtures/outbox-test-env.ts';

type Db = OutboxDatabase & DsrDatabase;

function fulfilment(
  accountId: string,
  requestId: string,
  type: string,
  participants = ['test-service'],
): EventRecord {
  return {
    id: uuidv7(),
    topic: 'legal.dsr.v1',
    key: accountId,
    type: 'girok.legal.v1.dsr.fulfilment_requested',
    source: 'legal-service',
    subject: accountId,
    time: new Date(),
    data: { requestId, accountId, type, participants },
  };
}

/**
 * The answering transaction of DsrParticipant on real PostgreSQL (no relay: the outbox rows stay
 * where the test reads them), requests handed over by the in-process bus. One participant whose
 * handlers record their calls; each test an account of its own.
 */
describe('DsrParticipant: one transaction per answer, on real PostgreSQL', () => {
  const env = inject('infraEnv');
  const bus = new InProcessBus();
  const calls: string[] = [];
  const erased = new Set<string>();
  let failErase = false;
  let slowErase: Promise<void> | undefined;
  let accountId: string;
  let database: TestDatabase;
  let db: Kysely<Db>;
  let participant: DsrParticipant<Db>;

  /** The rows this test's account has in the outbox. */
  const outbox = async () =>
    (
      await db
        .selectFrom('outbox_events')
        .select(['topic', 'key', 'type', 'source', 'data'])
        .where('key', '=', accountId)
        .orderBy('seq')
        .execute()
    ).map((row) => ({ ...row, data: row.data as Record<string, JsonValue> }));
  const answersOf = async () => (await outbox()).filter((row) => row.topic === 'legal.dsr.v1');
  const stored = () =>
    db
      .selectFrom('dsr_answers')
      .select(['request_id', 'service', 'type', 'answer'])
      .where('account_id', '=', accountId)
      .orderBy('request_id')
      .execute();

  beforeAll(async () => {
    database = await createTestDatabase(env.DATABASE_URL ?? '');
    await dsrAnswersMigration.up(database.db as Kysely<unknown>);
    db = database.db as unknown as Kysely<Db>;
    participant = new DsrParticipant<Db>({
      service: 'test-service',
      consumer: new LocalEventConsumer({ bus, topics: ['legal.dsr.v1'] }),
      db,
      logger: silentLogger(),
      handlers: {
        erase: async (tx, id, request: DsrRequest) => {
          calls.push(`erase ${request.requestId}`);
          // Something the erasure writes in the same transaction, to see it roll back.
          await tx
            .insertInto('outbox_events')
            .values({
              id: uuidv7(),
              topic: 'test.erased.v1',
              key: id,
              type: 'erased',
              source: 'test-service',
              subject: null,
              data: '{}',
            })
            .execute();
          await slowErase;
          if (failErase) throw new Error('erasure failed');
          erased.add(id);
          return { outcome: 'ERASED', note: 'gone' };
        },
        export: async (_tx, id, request: DsrRequest) => {
          calls.push(`export ${request.requestId}`);
          return erased.has(id) ? undefined : { profile: { displayName: 'Kim' } };
        },
      },
    });
    await participant.start();
  });
  afterAll(async () => {
    await participant?.stop();
    await database?.drop();
  });
  beforeEach(() => {
    accountId = uuidv7();
    calls.length = 0;
    failErase = false;
    slowErase = undefined;
  });

  it('answers a request once; a redelivery re-appends the stored answer without erasing again', async () => {
    await bus.publish([fulfilment(accountId, 'req-1', 'DSR_TYPE_ERASURE')]);
    await bus.publish([fulfilment(accountId, 'req-1', 'DSR_TYPE_ERASURE')]);
    expect(calls).toEqual(['erase req-1']);
    const answers = await answersOf();
    expect(answers).toHaveLength(2);
    expect(answers[0]).toEqual({
      topic: 'legal.dsr.v1',
      key: accountId,
      type: 'girok.legal.v1.dsr.part_completed',
      source: 'test-service',
      data: {
        requestId: 'req-1',
        accountId,
        type: 'DSR_TYPE_ERASURE',
        service: 'test-service',
        outcome: 'DSR_OUTCOME_ERASED',
        note: 'gone',
      },
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(await stored()).toEqual([
      { request_id: 'req-1', service: 'test-service', type: 'ERASURE', answer: answers[0]?.data },
    ]);
  });

  it('two deliveries of one request at once erase once: the second waits on the first and re-publishes', async () => {
    let release = () => {};
    slowErase = new Promise<void>((resolve) => {
      release = resolve;
    });
    const request = { requestId: 'req-c', accountId, type: 'ERASURE' } as const;
    const first = participant.answer(request);
    const second = participant.answer(request);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toEqual(['erase req-c']); // the second is blocked on the claimed row
    release();
    const [a, b] = await Promise.all([first, second]);
    expect([a.repeated, b.repeated]).toEqual([false, true]);
    expect(b.answer).toEqual(a.answer);
    expect(calls).toEqual(['erase req-c']);
    expect(await answersOf()).toHaveLength(2);
  });

  it('an erasure that fails leaves nothing behind (no answer, no outbox row); the next delivery erases', async () => {
    failErase = true;
    await expect(participant.answer({ requestId: 'req-2', accountId, type: 'ERASURE' })).rejects.toThrow(
      'erasure failed',
    );
    expect(await stored()).toEqual([]);
    expect(await outbox()).toEqual([]);

    failErase = false;
    await bus.publish([fulfilment(accountId, 'req-2', 'DSR_TYPE_ERASURE')]);
    expect(calls).toEqual(['erase req-2', 'erase req-2']);
    expect((await outbox()).map((row) => row.type)).toEqual(['erased', 'girok.legal.v1.dsr.part_completed']);
    expect(await stored()).toHaveLength(1);
  });

  it('exports for ACCESS and PORTABILITY; an erasure withdraws the stored exports of the account', async () => {
    await bus.publish([
      fulfilment(accountId, 'req-a', 'DSR_TYPE_ACCESS'),
      fulfilment(accountId, 'req-p', 'DSR_TYPE_PORTABILITY'),
    ]);
    const [access, portability] = await answersOf();
    expect(access?.data).toMatchObject({
      type: 'DSR_TYPE_ACCESS',
      outcome: 'DSR_OUTCOME_EXPORTED',
      exportJson: '{"profile":{"displayName":"Kim"}}',
    });
    expect(portability?.data).toMatchObject({
      type: 'DSR_TYPE_PORTABILITY',
      outcome: 'DSR_OUTCOME_EXPORTED',
    });

    await bus.publish([
      fulfilment(accountId, 'req-e', 'DSR_TYPE_ERASURE'),
      fulfilment(accountId, 'req-a', 'DSR_TYPE_ACCESS'),
    ]);
    const again = (await answersOf()).at(-1);
    expect(again?.data).toMatchObject({ requestId: 'req-a', outcome: 'DSR_OUTCOME_EXPORTED' });
    expect(again?.data.exportJson).toBeUndefined();
    expect(String(again?.data.note)).toContain('export withdrawn');
    expect(JSON.stringify(await stored())).not.toContain('Kim');
    // After the erasure the service holds nothing: a new access request says so.
    await bus.publish([fulfilment(accountId, 'req-a2', 'DSR_TYPE_ACCESS')]);
    expect((await answersOf()).at(-1)?.data).toMatchObject({ outcome: 'DSR_OUTCOME_NOTHING_HELD' });
    expect(calls).toEqual(['export req-a', 'export req-p', 'erase req-e', 'export req-a2']);
  });

  it('ignores other participants, other event types, non-participant types and malformed requests', async () => {
    await bus.publish([
      fulfilment(accountId, 'req-x', 'DSR_TYPE_ERASURE', ['identity-service']),
      { ...fulfilment(accountId, 'req-y', 'DSR_TYPE_ERASURE'), type: 'girok.legal.v1.dsr.part_completed' },
      fulfilment(accountId, 'req-z', 'DSR_TYPE_RECTIFICATION'),
      {
        ...fulfilment(accountId, 'req-w', 'DSR_TYPE_ERASURE'),
        data: {
          requestId: 'req-w',
          accountId: 'nope',
          type: 'DSR_TYPE_ERASURE',
          participants: ['test-service'],
        },
      },
    ]);
    expect(calls).toEqual([]);
    expect(await stored()).toEqual([]);
    expect(await outbox()).toEqual([]);
  });
});
