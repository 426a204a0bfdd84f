import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest } from '../db/index.ts';
import { type EventRecord, InProcessBus } from '../events/index.ts';
import { createLogger } from '../logging/logger.ts';
import { appendEvents, LocalOutboxRelay, type OutboxDatabase, outboxMigration } from './index.ts';

describe('local mode: the outbox relayed to the in-process bus, on PGlite', () => {
  // PGlite compiles its WebAssembly on start: seconds on a busy 2-core machine running the other
  // projects beside. That is set-up, so it gets a hook's time, not the behaviour's.
  let db: ReturnType<typeof createDatabase<OutboxDatabase>>;
  beforeAll(async () => {
    db = createDatabase<OutboxDatabase>({ url: 'pglite://memory' });
    await migrateToLatest(db, { '0000-outbox': outboxMigration });
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
  });

  it('delivers committed events once, in order, with their CloudEvent fields; rolled-back ones never', async () => {
    const bus = new InProcessBus();
    const seen: EventRecord[] = [];
    bus.subscribe(['identity.session.v1'], (event) => {
      seen.push(event);
    });
    const relay = new LocalOutboxRelay({
      db,
      bus,
      logger: createLogger({ service: 't', level: 'silent' }),
      pollIntervalMs: 10,
    });
    relay.start();
    try {
      const event = (n: number) => ({
        topic: 'identity.session.v1',
        key: `account-${n % 2}`,
        type: 'girok.identity.v1.session.created',
        source: 'identity-service',
        subject: `account-${n % 2}`,
        data: { n },
      });
      for (let n = 0; n < 5; n += 1) await db.transaction().execute((tx) => appendEvents(tx, [event(n)]));
      await db
        .transaction()
        .execute(async (tx) => {
          await appendEvents(tx, [event(99)]);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const deadline = Date.now() + 5000;
      while (seen.length < 5 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100)); // a duplicate would arrive now
      expect(seen.map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      expect(new Set(seen.map((e) => e.id)).size).toBe(5);
      expect(seen[0]).toMatchObject({
        key: 'account-0',
        type: 'girok.identity.v1.session.created',
        source: 'identity-service',
      });
      expect(await db.selectFrom('outbox_events').select('id').execute()).toEqual([]);
    } finally {
      await relay.stop();
    }
  }, 15_000);
});
