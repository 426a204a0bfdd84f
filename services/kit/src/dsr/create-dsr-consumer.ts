import type { Registry } from 'prom-client';
import type { EventConsumer } from '../events/event-consumer.ts';
import { InProcessBus } from '../events/in-process-bus.ts';
import { type KafkaSettings, kafkaClient } from '../events/kafka-client.ts';
import { KafkaEventConsumer } from '../events/kafka-event-consumer.ts';
import { LocalEventConsumer } from '../events/local-event-consumer.ts';
import type { Logger } from '../logging/logger.ts';
import { DSR_TOPIC } from './dsr-protocol.ts';

export interface DsrConsumerChoice {
  /** The participant, e.g. `identity-service`: the Kafka client id and the default group. */
  readonly service: string;
  /** The consumer group; defaults to `service` (one group per participating service). */
  readonly groupId?: string;
  /** No brokers: local mode, requests come on `bus`. */
  readonly kafka: KafkaSettings;
  readonly bus?: InProcessBus;
  readonly logger: Logger;
  readonly registry?: Registry;
}

/**
 * The consumer of `legal.dsr.v1` configuration asks for: Kafka when brokers are given, else the
 * in-process bus. On Kafka a group with no committed offset (its first start, or offsets expired
 * after a long outage) starts at the oldest retained request rather than the next new one: a
 * request missed is a legal deadline missed, and answering one again is harmless (`dsr_answers`).
 */
export function createDsrConsumer(choice: DsrConsumerChoice): EventConsumer {
  if (choice.kafka.brokers.length === 0) {
    return new LocalEventConsumer({
      bus: choice.bus ?? new InProcessBus(choice.logger),
      topics: [DSR_TOPIC],
    });
  }
  return new KafkaEventConsumer({
    kafka: kafkaClient(choice.kafka, choice.service),
    groupId: choice.groupId ?? choice.service,
    topics: [DSR_TOPIC],
    logger: choice.logger,
    fromBeginning: true,
    ...(choice.registry === undefined ? {} : { registry: choice.registry }),
  });
}
