import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Counter, Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { Backoff } from '../outbox/backoff.ts';
import { fromKafkaMessage, MalformedEventError } from '../outbox/cloud-event.ts';
import { type ConsumedResult, consumedEventsCounter } from './event-consumer.metrics.ts';
import type { EventConsumer } from './event-consumer.ts';
import type { EventHandler, EventRecord } from './in-process-bus.ts';

export interface KafkaEventConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  /** Where a group with no committed offset starts: the oldest record (true) or the next new one (default). */
  readonly fromBeginning?: boolean;
  /**
   * Every start reads each partition from its first record at most this old (found by timestamp),
   * whatever the group committed: for a group of one member that must rebuild recent state (e.g.
   * the revoked sessions) each time it starts.
   */
  readonly lookBackMs?: number;
  /** Where to register `girok_consumer_events_total`; nothing is exported without it. */
  readonly registry?: Registry;
  /** First and largest wait between attempts at an event whose handler fails (full jitter). Defaults 200 and 30 000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Group membership (kafkajs consumer settings). Defaults 30 000, 3 000 and 60 000. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** Longest a fetch waits on the broker for new records; also bounds how long stop() waits for one. Default 1000. */
  readonly maxWaitTimeInMs?: number;
  /** Handled offsets are committed at the end of every fetched batch, on stop, and at least this often. Default 1000. */
  readonly commitIntervalMs?: number;
  /** How long start() waits to join the group before giving up. Default 60 000. */
  readonly startTimeoutMs?: number;
}

/** The name of the dead-letter topic for undecodable records of `topic` read by `groupId`. */
export function deadLetterTopic(topic: string, groupId: string): string {
  return `${topic}.dlq.${groupId}`;
}

/** Headers added to a dead-lettered record, beside its own, saying where it came from and why. */
export const DLQ_HEADERS = {
  topic: 'dlq_topic',
  partition: 'dlq_partition',
  offset: 'dlq_offset',
  group: 'dlq_group',
  reason: 'dlq_reason',
} as const;

/**
 * Consumes CloudEvents written by the outbox relay, at least once, in order per partition.
 *
 * An event's offset is resolved only after its handler resolved, and kafkajs commits resolved
 * offsets only (at the end of each fetched batch, every `commitIntervalMs` and on stop), so a crash
 * replays from the last committed handled event and nothing is skipped. A handler that throws is
 * retried with backoff, for ever, without moving past the event: a consumer whose downstream is
 * down pauses its partitions (heartbeating meanwhile, so it keeps them) and resumes where it
 * stopped. A record that cannot be decoded will never succeed: it goes to the dead-letter topic
 * `<topic>.dlq.<groupId>` when that exists (created by whoever wants it kept), else it is logged
 * and skipped.
 */
export class KafkaEventConsumer implements EventConsumer {
  readonly #kafka: Kafka;
  readonly #groupId: string;
  readonly #topics: readonly string[];
  readonly #logger: Logger;
  readonly #fromBeginning: boolean;
  readonly #lookBackMs: number | undefined;
  readonly #counter: Counter<'topic' | 'group' | 'result'>;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #sessionTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #rebalanceTimeoutMs: number;
  readonly #maxWaitTimeInMs: number;
  readonly #commitIntervalMs: number;
  readonly #startTimeoutMs: number;

  #consumer: Consumer | undefined;
  #producer: Promise<Producer> | undefined;
  #handler: EventHandler | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: KafkaEventConsumerOptions) {
    this.#kafka = options.kafka;
    this.#groupId = options.groupId;
    this.#topics = [...options.topics];
    this.#logger = options.logger.child({ component: 'event-consumer', groupId: options.groupId });
    this.#fromBeginning = options.fromBeginning ?? false;
    this.#lookBackMs = options.lookBackMs;
    this.#counter = consumedEventsCounter(options.registry);
    this.#retryInitialMs = options.retryInitialMs ?? 200;
    this.#retryMaxMs = options.retryMaxMs ?? 30_000;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.#rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 60_000;
    this.#maxWaitTimeInMs = options.maxWaitTimeInMs ?? 1_000;
    this.#commitIntervalMs = options.commitIntervalMs ?? 1_000;
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
    if (this.#topics.length === 0) throw new TypeError('KafkaEventConsumer needs at least one topic');
  }

  /** Connects, subscribes and resolves once this member has joined the group and been given its partitions. */
  async start(handler: EventHandler): Promise<void> {
    if (this.#consumer !== undefined) throw new Error('KafkaEventConsumer already started');
    this.#handler = handler;
    this.#stopping = false;
    const consumer = this.#kafka.consumer({
      groupId: this.#groupId,
      sessionTimeout: this.#sessionTimeoutMs,
      heartbeatInterval: this.#heartbeatIntervalMs,
      rebalanceTimeout: this.#rebalanceTimeoutMs,
      maxWaitTimeInMs: this.#maxWaitTimeInMs,
      allowAutoTopicCreation: false,
    });
    this.#consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#logger.error(
        { err: payload.error, restart: payload.restart },
        payload.restart ? 'Kafka consumer failed; kafkajs restarts it' : 'Kafka consumer failed for good',
      );
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.#topics], fromBeginning: this.#fromBeginning });
      const since =
        this.#lookBackMs === undefined ? [] : await this.#offsetsSince(Date.now() - this.#lookBackMs);
      await consumer.run({
        // kafkajs commits what is resolved; nothing is resolved before its handler succeeded.
        autoCommit: true,
        autoCommitInterval: this.#commitIntervalMs,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      // kafkajs keeps a seek until the partition is assigned and applies it before fetching it.
      for (const offset of since) consumer.seek(offset);
      await Promise.race([
        joined,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`did not join consumer group ${this.#groupId} within ${this.#startTimeoutMs} ms`),
              ),
            this.#startTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.#logger.info({ topics: this.#topics }, 'event consumer running');
  }

  /** Lets the event being handled finish and be committed, then leaves the group. */
  async stop(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    this.#stopping = true;
    this.#wake?.();
    try {
      // Waits for the batch in hand (its handler, not its remaining events), commits, leaves.
      await consumer.disconnect();
    } finally {
      const producer = this.#producer;
      this.#producer = undefined;
      await producer?.then(
        (p) => p.disconnect(),
        () => {},
      );
      this.#consumer = undefined;
      this.#handler = undefined;
    }
  }

  async #eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) {
    for (const message of batch.messages) {
      if (this.#stopping || !isRunning() || isStale()) return;
      const settled = await this.#process(batch.topic, batch.partition, message, heartbeat);
      // Stopped before the event was handled: left unresolved, so whoever consumes next gets it.
      if (!settled) return;
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      // Sent only once per heartbeat interval, however often it is called.
      await heartbeat();
    }
  }

  /** Handles or dead-letters one record, retrying until done. False when stopped first. */
  async #process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const where = { topic, partition, offset: message.offset };
    let event: EventRecord;
    try {
      event = fromKafkaMessage(topic, message);
    } catch (err) {
      if (!(err instanceof MalformedEventError)) throw err;
      return this.#untilDone(topic, where, 'dead-lettering an undecodable record', heartbeat, async () => {
        this.#count(topic, await this.#deadLetter(topic, partition, message, err));
      });
    }
    const handler = this.#handler;
    if (handler === undefined) return false;
    const context = { ...where, eventId: event.id, type: event.type };
    return this.#untilDone(topic, context, 'handling an event', heartbeat, async () => {
      await handler(event);
      this.#count(topic, 'handled');
    });
  }

  /**
   * Runs `attempt` until it succeeds, waiting with backoff between failures, and heartbeats
   * throughout (during a slow attempt too) so the group keeps this member and its partitions while
   * it waits. When a heartbeat finds the group rebalancing, the error leaves `eachBatch`: the
   * event is not resolved, and kafkajs rejoins and hands the partition out again.
   */
  async #untilDone(
    topic: string,
    context: Record<string, unknown>,
    doing: string,
    heartbeat: () => Promise<void>,
    attempt: () => Promise<void>,
  ): Promise<boolean> {
    const backoff = new Backoff(this.#retryInitialMs, this.#retryMaxMs);
    for (let failures = 0; ; ) {
      // Failures here are not acted on: the heartbeat right after the attempt meets them again.
      const ticker = setInterval(() => heartbeat().catch(() => {}), this.#heartbeatIntervalMs);
      let failure: { error: unknown } | undefined;
      try {
        await attempt();
      } catch (error) {
        failure = { error };
      } finally {
        clearInterval(ticker);
      }
      if (failure === undefined) {
        if (failures > 0) this.#logger.info({ ...context, failures }, `${doing} succeeded after retries`);
        return true;
      }
      failures += 1;
      this.#count(topic, 'failed');
      const log = { ...context, err: failure.error, failures };
      if (failures === 1)
        this.#logger.warn(log, `${doing} failed; retrying with backoff, not moving past it`);
      else this.#logger.debug(log, `${doing} failed again`);
      if (!(await this.#pause(backoff.next(), heartbeat))) return false;
    }
  }

  /** Waits `ms` (heartbeating); false when stop() cut it short. */
  async #pause(ms: number, heartbeat: () => Promise<void>): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.#stopping) {
      const left = until - Date.now();
      if (left <= 0) return true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, this.#heartbeatIntervalMs));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      if (!this.#stopping) await heartbeat();
    }
    return false;
  }

  async #deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: MalformedEventError,
  ): Promise<ConsumedResult> {
    const dlq = deadLetterTopic(topic, this.#groupId);
    const where = { topic, partition, offset: message.offset, reason: reason.message };
    if (!(await this.#topicExists(dlq))) {
      this.#logger.error(
        { ...where, deadLetterTopic: dlq },
        'skipped an undecodable record (no dead-letter topic)',
      );
      return 'skipped';
    }
    const producer = await this.#deadLetterProducer();
    await producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DLQ_HEADERS.topic]: topic,
            [DLQ_HEADERS.partition]: String(partition),
            [DLQ_HEADERS.offset]: message.offset,
            [DLQ_HEADERS.group]: this.#groupId,
            [DLQ_HEADERS.reason]: reason.message,
          },
        },
      ],
    });
    this.#logger.warn(
      { ...where, deadLetterTopic: dlq },
      'moved an undecodable record to the dead-letter topic',
    );
    return 'dead_lettered';
  }

  /** Per partition, the first offset whose record is not older than `timestamp` (the end if none is). */
  async #offsetsSince(timestamp: number): Promise<{ topic: string; partition: number; offset: string }[]> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const offsets = [];
      for (const topic of this.#topics) {
        for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)) {
          offsets.push({ topic, partition, offset });
        }
      }
      return offsets;
    } finally {
      await admin.disconnect();
    }
  }

  /** Asked each time: poison is rare, and a dead-letter topic created later is used at once. */
  async #topicExists(topic: string): Promise<boolean> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).includes(topic);
    } finally {
      await admin.disconnect();
    }
  }

  #deadLetterProducer(): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.#kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    // A failed connect is forgotten so the next attempt tries again.
    this.#producer.catch(() => {
      this.#producer = undefined;
    });
    return this.#producer;
  }

  #count(topic: string, result: ConsumedResult): void {
    this.#counter.inc({ topic, group: this.#groupId, result });
  }
}
