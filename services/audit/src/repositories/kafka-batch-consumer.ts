import type { EventRecord } from '@girok/kit/events';
import type { Logger } from '@girok/kit/logging';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { fromKafkaMessage } from './cloud-event.ts';

export interface KafkaBatchConsumerOptions<T> {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  /** Turns a record into what the handler takes; whatever it throws makes the record poison. */
  readonly decode: (record: EventRecord) => T;
  /** Most records handed to the handler at once. */
  readonly maxBatchSize: number;
  /** Partitions whose batches are handled at the same time (their handler calls overlap). Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** Where a group with no committed offset starts: the oldest record (default) or the next new one. */
  readonly fromBeginning?: boolean;
  readonly registry?: Registry;
  /** First and largest wait between attempts at a batch whose handler fails (full jitter). Defaults 200 and 5 000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly maxWaitTimeInMs?: number;
  readonly commitIntervalMs?: number;
  readonly startTimeoutMs?: number;
}

export type BatchHandler<T> = (items: T[]) => Promise<void>;

const CONSUMED_METRIC = 'girok_consumer_events_total';

/**
 * The kit's `KafkaEventConsumer` semantics (at least once, in order per partition, retry without
 * skipping, heartbeating while it waits, dead-letter topic `<topic>.dlq.<groupId>` for poison, the
 * `girok_consumer_events_total` counter), but handing the handler a fetched batch instead of one
 * event at a time. The kit's per-event handler cannot batch: the next event of a partition is
 * delivered only after the previous handler resolved, so an event that waits for its batch to be
 * written would wait alone. Here a chunk of up to `maxBatchSize` records is decoded, handed over
 * whole, and its last offset is resolved only after the handler resolved; kafkajs commits only
 * resolved offsets. A failing handler is retried for ever with backoff: the partition pauses where
 * it is and nothing behind it is committed.
 */
export class KafkaBatchConsumer<T> {
  readonly #options: KafkaBatchConsumerOptions<T>;
  readonly #logger: Logger;
  readonly #counter: Counter<'topic' | 'group' | 'result'>;
  readonly #wakers = new Set<() => void>();
  #consumer: Consumer | undefined;
  #producer: Promise<Producer> | undefined;
  #handler: BatchHandler<T> | undefined;
  #stopping = false;

  constructor(options: KafkaBatchConsumerOptions<T>) {
    if (options.topics.length === 0) throw new TypeError('KafkaBatchConsumer needs at least one topic');
    this.#options = options;
    this.#logger = options.logger.child({ component: 'batch-consumer', groupId: options.groupId });
    this.#counter = consumedCounter(options.registry);
  }

  /** Connects, subscribes and resolves once this member has joined the group. */
  async start(handler: BatchHandler<T>): Promise<void> {
    if (this.#consumer !== undefined) throw new Error('KafkaBatchConsumer already started');
    const o = this.#options;
    this.#handler = handler;
    this.#stopping = false;
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: o.maxWaitTimeInMs ?? 1_000,
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
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: o.commitIntervalMs ?? 1_000,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      const startTimeoutMs = o.startTimeoutMs ?? 60_000;
      await Promise.race([
        joined,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`did not join consumer group ${o.groupId} within ${startTimeoutMs} ms`)),
            startTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.#logger.info({ topics: o.topics }, 'batch consumer running');
  }

  /** Lets the batches in hand finish (or give up waiting), commits what was handled, leaves the group. */
  async stop(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    this.#stopping = true;
    for (const wake of this.#wakers) wake();
    try {
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
    const { topic, partition } = batch;
    const size = this.#options.maxBatchSize;
    for (let start = 0; start < batch.messages.length; start += size) {
      if (this.#stopping || !isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + size);
      const items: T[] = [];
      const poison: { message: KafkaMessage; reason: string }[] = [];
      for (const message of chunk) {
        try {
          items.push(this.#options.decode(fromKafkaMessage(topic, message)));
        } catch (error) {
          poison.push({ message, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      const where = { topic, partition, firstOffset: chunk[0]?.offset, lastOffset: chunk.at(-1)?.offset };
      if (poison.length > 0) {
        const done = await this.#untilDone(
          where,
          'dead-lettering undecodable records',
          heartbeat,
          async () => {
            for (const { message, reason } of poison) {
              this.#count(topic, await this.#deadLetter(topic, partition, message, reason));
            }
          },
        );
        if (!done) return;
      }
      if (items.length > 0) {
        const handler = this.#handler;
        if (handler === undefined) return;
        const done = await this.#untilDone(
          { ...where, events: items.length },
          'handling a batch',
          heartbeat,
          () => handler(items),
          items.length,
        );
        // Stopped before the batch was handled: left unresolved, so whoever consumes next gets it.
        if (!done) return;
        this.#count(topic, 'handled', items.length);
      }
      const last = chunk.at(-1);
      if (last !== undefined) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  /** Runs `attempt` until it succeeds, with backoff between failures and heartbeats throughout. False when stopped first. */
  async #untilDone(
    context: Record<string, unknown>,
    doing: string,
    heartbeat: () => Promise<void>,
    attempt: () => Promise<void>,
    events = 1,
  ): Promise<boolean> {
    const initial = this.#options.retryInitialMs ?? 200;
    const max = this.#options.retryMaxMs ?? 5_000;
    const topic = String(context.topic);
    for (let failures = 0; ; ) {
      const ticker = setInterval(
        () => heartbeat().catch(() => {}),
        this.#options.heartbeatIntervalMs ?? 3_000,
      );
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
      this.#count(topic, 'failed', events);
      const log = { ...context, err: failure.error, failures };
      if (failures === 1)
        this.#logger.warn(log, `${doing} failed; retrying with backoff, not moving past it`);
      else this.#logger.debug(log, `${doing} failed again`);
      const ceiling = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
      if (!(await this.#pause(Math.max(initial, Math.random() * ceiling), heartbeat))) return false;
    }
  }

  async #pause(ms: number, heartbeat: () => Promise<void>): Promise<boolean> {
    const until = Date.now() + ms;
    const interval = this.#options.heartbeatIntervalMs ?? 3_000;
    while (!this.#stopping) {
      const left = until - Date.now();
      if (left <= 0) return true;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, interval));
        this.#wakers.add(wake);
      });
      if (!this.#stopping) await heartbeat();
    }
    return false;
  }

  async #deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
  ): Promise<'dead_lettered' | 'skipped'> {
    const dlq = `${topic}.dlq.${this.#options.groupId}`;
    const where = { topic, partition, offset: message.offset, reason };
    const admin = this.#options.kafka.admin();
    await admin.connect();
    let exists: boolean;
    try {
      exists = (await admin.listTopics()).includes(dlq);
    } finally {
      await admin.disconnect();
    }
    if (!exists) {
      this.#logger.error(
        { ...where, deadLetterTopic: dlq },
        'skipped an undecodable record (no dead-letter topic)',
      );
      return 'skipped';
    }
    this.#producer ??= (async () => {
      const producer = this.#options.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    this.#producer.catch(() => {
      this.#producer = undefined;
    });
    const producer = await this.#producer;
    await producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            dlq_topic: topic,
            dlq_partition: String(partition),
            dlq_offset: message.offset,
            dlq_group: this.#options.groupId,
            dlq_reason: reason,
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

  #count(topic: string, result: 'handled' | 'failed' | 'dead_lettered' | 'skipped', n = 1): void {
    this.#counter.inc({ topic, group: this.#options.groupId, result }, n);
  }
}

/** The kit's consumer counter: found when another consumer of the process registered it first. */
function consumedCounter(registry: Registry | undefined): Counter<'topic' | 'group' | 'result'> {
  const existing = registry?.getSingleMetric(CONSUMED_METRIC);
  if (existing instanceof Counter) return existing as Counter<'topic' | 'group' | 'result'>;
  return new Counter({
    name: CONSUMED_METRIC,
    help:
      'Events taken from Kafka, by result: handled; failed (one failed attempt, retried); ' +
      'dead_lettered or skipped (undecodable, with or without a dead-letter topic)',
    labelNames: ['topic', 'group', 'result'],
    registers: registry === undefined ? [] : [registry],
  });
}
