import { Kafka, logLevel } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { InProcessBus } from '../events/in-process-bus.ts';
import type { Logger } from '../logging/logger.ts';
import { LocalOutboxRelay } from './local-relay.ts';
import { OutboxRelay } from './outbox.relay.ts';
import type { OutboxDatabase } from './outbox.table.ts';

export interface RelayChoice {
  readonly db: Kysely<OutboxDatabase>;
  /** The service database URL (the relay's leader lock and LISTEN need their own session). */
  readonly databaseUrl: string;
  /** Empty: local mode, events go to `bus`. */
  readonly kafkaBrokers: readonly string[];
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
  if (choice.kafkaBrokers.length === 0) {
    return new LocalOutboxRelay({
      db: choice.db,
      bus: choice.bus ?? new InProcessBus(choice.logger),
      logger: choice.logger,
    });
  }
  return new OutboxRelay({
    db: choice.db,
    session: choice.databaseUrl,
    kafka: new Kafka({
      clientId: choice.clientId,
      brokers: [...choice.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }),
    logger: choice.logger,
    registry: choice.registry,
  });
}
