import type { InProcessBus } from '@girok/kit/events';
import type { Logger } from '@girok/kit/logging';
import type { Kafka, Producer } from 'kafkajs';
import { type OutgoingEvent, toKafkaMessage } from './cloud-event.ts';

/** Where DSR answers go: `legal.dsr.v1` on Kafka, or the in-process bus in local mode. */
export interface DsrAnswerPublisher {
  publish(topic: string, event: OutgoingEvent): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes straight to Kafka (audit-service has no database, so no outbox): an idempotent
 * producer, acks from all in-sync replicas, before the consumer that asked commits the request.
 * At least once: a crash between the send and the commit answers again, which legal-service
 * deduplicates by (request_id, service).
 */
export class KafkaDsrAnswerPublisher implements DsrAnswerPublisher {
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  #producer: Promise<Producer> | undefined;

  constructor(kafka: Kafka, logger: Logger) {
    this.#kafka = kafka;
    this.#logger = logger;
  }

  async publish(topic: string, event: OutgoingEvent): Promise<void> {
    const producer = await this.#connected();
    try {
      await producer.send({ topic, acks: -1, messages: [toKafkaMessage(event)] });
    } catch (error) {
      // A producer whose send failed may hold sequence numbers the broker never saw: start afresh.
      this.#producer = undefined;
      await producer.disconnect().catch(() => {});
      this.#logger.warn({ err: error, topic }, 'publishing a DSR answer failed');
      throw error;
    }
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.then(
      (p) => p.disconnect(),
      () => {},
    );
  }

  #connected(): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      return producer;
    })();
    this.#producer.catch(() => {
      this.#producer = undefined;
    });
    return this.#producer;
  }
}

export class BusDsrAnswerPublisher implements DsrAnswerPublisher {
  readonly #bus: InProcessBus;

  constructor(bus: InProcessBus) {
    this.#bus = bus;
  }

  async publish(topic: string, event: OutgoingEvent): Promise<void> {
    // Delivered after this handler returns, as Kafka would: legal-service's handler of the answer
    // must not run inside the delivery of its own request (in local mode its relay may still hold
    // its single PGlite session there).
    setImmediate(() => void this.#bus.publish([{ ...event, topic }]));
  }

  async close(): Promise<void> {}
}
