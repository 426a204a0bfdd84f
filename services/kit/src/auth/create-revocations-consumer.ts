import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { EventConsumer } from '../events/event-consumer.ts';
import { InProcessBus } from '../events/in-process-bus.ts';
import { type KafkaSettings, kafkaClient } from '../events/kafka-client.ts';
import { KafkaEventConsumer } from '../events/kafka-event-consumer.ts';
import { LocalEventConsumer } from '../events/local-event-consumer.ts';
import type { Logger } from '../logging/logger.ts';
import { REVOCATION_TOPICS } from './session-revocations.ts';

export interface RevocationsConsumerChoice {
  /** The consuming service, e.g. `legal-service`: the Kafka client id and the group's prefix. */
  readonly service: string;
  /** No brokers: local mode, identity's events come on `bus`. */
  readonly kafka: KafkaSettings;
  readonly bus?: InProcessBus;
  /** How far back a starting replica reads the topics: `revocationRetentionMs(verifier)`. */
  readonly lookBackMs: number;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Topics to read instead of identity's (tests). */
  readonly topics?: readonly string[];
}

/** `<service>-revocations-<host>-<random>`: a group per replica and per start, so each sees every event. */
export function revocationsGroupId(service: string): string {
  return `${service}-revocations-${hostname()}-${randomBytes(4).toString('hex')}`;
}

/**
 * The consumer of identity's revocations for one replica. On Kafka it joins a consumer group of
 * its own, so that it gets every partition (a shared group would hand each replica a share of the
 * revocations), and starts `lookBackMs` back in the topics by record timestamp: a replica started
 * a minute ago still knows a session revoked ten minutes ago whose tokens are still within their
 * lifetime. The group is deleted on stop; one left by a crash expires with the broker's offset
 * retention.
 */
export function createRevocationsConsumer(choice: RevocationsConsumerChoice): EventConsumer {
  const topics = [...(choice.topics ?? REVOCATION_TOPICS)];
  if (choice.kafka.brokers.length === 0) {
    return new LocalEventConsumer({ bus: choice.bus ?? new InProcessBus(choice.logger), topics });
  }
  const kafka = kafkaClient(choice.kafka, choice.service);
  const groupId = revocationsGroupId(choice.service);
  const consumer = new KafkaEventConsumer({
    kafka,
    groupId,
    topics,
    logger: choice.logger,
    lookBackMs: choice.lookBackMs,
    ...(choice.registry === undefined ? {} : { registry: choice.registry }),
  });
  return {
    start: (handler) => consumer.start(handler),
    async stop() {
      await consumer.stop();
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([groupId]);
      } catch (err) {
        choice.logger.warn(
          { err, groupId },
          'could not delete the revocations consumer group; it expires on its own',
        );
      } finally {
        await admin.disconnect();
      }
    },
  };
}
