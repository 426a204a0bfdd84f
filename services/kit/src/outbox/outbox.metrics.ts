import { Counter, Gauge, type Registry } from 'prom-client';

export type OutboxErrorStage = 'send' | 'recovery' | 'database';

export interface OutboxMetrics {
  readonly published: Counter<'topic'>;
  readonly publishErrors: Counter<'stage'>;
  readonly recovered: Counter;
}

/**
 * Registers the relay's metrics. The pending gauge is read from the database at scrape time, so
 * every replica reports the same backlog (aggregate with max(), not sum()), leader or not.
 */
export function createOutboxMetrics(
  registry: Registry | undefined,
  countPending: () => Promise<number>,
  onScrapeError: (err: unknown) => void,
): OutboxMetrics {
  const registers = registry === undefined ? [] : [registry];
  new Gauge({
    name: 'girok_outbox_pending_events',
    help: 'Events in the outbox not yet published to Kafka',
    registers,
    async collect() {
      try {
        this.set(await countPending());
      } catch (err) {
        // A failed count must not fail the whole scrape; the last value stays.
        onScrapeError(err);
      }
    },
  });
  return {
    published: new Counter({
      name: 'girok_outbox_published_total',
      help: 'Events this process published to Kafka and removed from the outbox',
      labelNames: ['topic'],
      registers,
    }),
    publishErrors: new Counter({
      name: 'girok_outbox_publish_errors_total',
      help: 'Failed relay attempts, by stage (send, recovery, database); each one is retried',
      labelNames: ['stage'],
      registers,
    }),
    recovered: new Counter({
      name: 'girok_outbox_recovered_total',
      help: 'Pending events found already on Kafka by recovery and removed without a second send',
      registers,
    }),
  };
}
