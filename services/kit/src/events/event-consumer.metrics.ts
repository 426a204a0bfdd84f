import { Counter, type Registry } from 'prom-client';

export type ConsumedResult = 'handled' | 'failed' | 'dead_lettered' | 'skipped';

const NAME = 'girok_consumer_events_total';

/**
 * Registers (or finds, when another consumer of the process registered it first) the counter of
 * consumed events by topic, consumer group and result. Without a registry it counts into nothing.
 */
export function consumedEventsCounter(registry: Registry | undefined): Counter<'topic' | 'group' | 'result'> {
  const existing = registry?.getSingleMetric(NAME);
  if (existing instanceof Counter) return existing as Counter<'topic' | 'group' | 'result'>;
  return new Counter({
    name: NAME,
    help:
      'Events taken from Kafka, by result: handled; failed (one failed attempt, retried); ' +
      'dead_lettered or skipped (undecodable, with or without a dead-letter topic)',
    labelNames: ['topic', 'group', 'result'],
    registers: registry === undefined ? [] : [registry],
  });
}
