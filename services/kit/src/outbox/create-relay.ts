import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { InProcessBus } from '../events/in-process-bus.ts';
import { type KafkaSettings, kafkaClient } from '../events/kafka-client.ts';
import type { Logger } from '../logging/logger.ts';
import { LocalOutboxRelay } from './local-relay.ts';
import { OutboxRelay } from './outbox.relay.ts';
import type { OutboxDatabase } from './outbox.table.ts';

export interface RelayChoice {
  readonly db: Kysely<OutboxDatabase>;
  /** The service database URL (the relay's leader lock and LISTEN need their own session). */
  readonly databaseUrl: string;
  /** No brokers: local mode, events go to `bus`. */
  readonly kafka: KafkaSettings;
  readonly clientId: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly bus?: InProcessBus;
}

export interface Relay {
  start(): void;
  stop(): Promise<void>;
}

/** The outbox relay configuration asks for: to Kafka when brokers are given, else to the in-process bus. */
export function createOutboxRelay(choice: RelayChoice): Relay {
  if (choice.kafka.brokers.length === 0) {
    return new LocalOutboxRelay({
      db: choice.db,
      bus: choice.bus ?? new InProcessBus(choice.logger),
      logger: choice.logger,
    });
  }
  return new OutboxRelay({
    db: choice.db,
    session: choice.databaseUrl,
    kafka: kafkaClient(choice.kafka, choice.clientId),
    logger: choice.logger,
    registry: choice.registry,
  });
}
