import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.ts';
import type { OutboxDatabase } from '../outbox/index.ts';
import { type DsrDatabase, DsrParticipant } from './index.ts';

type Db = OutboxDatabase & DsrDatabase;

// The answering transaction is proven on real PostgreSQL (test/dsr-participant.test.ts).
describe('DsrParticipant start and stop', () => {
  /** A consumer whose first `failures` starts fail, as with Kafka down or the topic not created yet. */
  function flakyConsumer(failures: number) {
    const calls: string[] = [];
    return {
      calls,
      consumer: {
        start: async () => {
          calls.push('start');
          if (calls.filter((c) => c === 'start').length <= failures) throw new Error('no topic');
        },
        stop: async () => {
          calls.push('stop');
        },
      },
    };
  }
  const participant = (consumer: ReturnType<typeof flakyConsumer>['consumer'], initialMs: number) =>
    new DsrParticipant<Db>({
      service: 'test-service',
      consumer,
      db: undefined as never, // never reached: no request arrives
      logger: createLogger({ service: 'dsr-test', level: 'silent' }),
      handlers: { erase: async () => ({ outcome: 'ERASED' }), export: async () => undefined },
      startRetryInitialMs: initialMs,
      startRetryMaxMs: initialMs,
    });

  it('keeps trying to start until the consumer runs; stop() then stops it', async () => {
    const flaky = flakyConsumer(2);
    const p = participant(flaky.consumer, 5);
    await p.start();
    expect(flaky.calls).toEqual(['start', 'start', 'start']);
    await p.stop();
    expect(flaky.calls).toEqual(['start', 'start', 'start', 'stop']);
  });

  it('stop() while waiting to retry returns at once, and nothing starts afterwards', async () => {
    const flaky = flakyConsumer(1);
    const p = participant(flaky.consumer, 60_000);
    const starting = p.start();
    await new Promise((resolve) => setImmediate(resolve)); // the first start has failed; it waits
    const began = Date.now();
    await p.stop();
    await starting;
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(flaky.calls).toEqual(['start']);
  });
});
