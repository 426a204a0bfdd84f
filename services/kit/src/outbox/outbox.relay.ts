import type { Kafka, Message, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { Backoff } from './backoff.ts';
import { approximateSize, type PendingEvent, toKafkaMessage } from './cloud-event.ts';
import { readBackEventIds } from './kafka-read-back.ts';
import { OutageLog } from './outage-log.ts';
import { createOutboxMetrics, type OutboxErrorStage, type OutboxMetrics } from './outbox.metrics.ts';
import { OutboxRepository } from './outbox.repository.ts';
import { type OutboxDatabase, outboxView } from './outbox.table.ts';
import { RelaySession } from './relay-session.ts';

export interface OutboxRelayOptions {
  /** Most rows read and sent per round. Default 500. */
  readonly batchSize?: number;
  /** Cap on a round's payload, under the broker's message.max.bytes (1 MiB by default). Default 512 KiB. */
  readonly maxBatchBytes?: number;
  /**
   * How long to wait after a notification before reading, so rows committed at nearly the same
   * time leave in one batch: one read, one produce request and one delete instead of one each per
   * transaction. Default 10.
   */
  readonly lingerMs?: number;
  /** Poll period when no notification arrives (a lost NOTIFY, rows inserted with triggers off). Default 1000. */
  readonly pollIntervalMs?: number;
  /** How often a follower asks for the leader lock. Bounds takeover time. Default 1000. */
  readonly takeoverIntervalMs?: number;
  /** First and largest wait between failed attempts (full jitter). Defaults 200 and 10 000. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /**
   * kafkajs retries inside one send before it gives up and the relay takes over (recovery, backoff).
   * Finite on purpose: an idempotent producer defaults to retrying forever, which would hide an
   * outage and keep stop() waiting. Default 5.
   */
  readonly sendRetries?: number;
  /**
   * How far before the oldest pending row recovery starts reading: covers a relay host clock
   * behind the database clock (records carry the producer's time, rows the database's). Default 30 000.
   */
  readonly recoveryClockMarginMs?: number;
  /** Give up a read-back after this long and retry it with backoff. Default 60 000. */
  readonly recoveryTimeoutMs?: number;
}

export interface OutboxRelayDeps<DB extends OutboxDatabase = OutboxDatabase> {
  /** The service's kysely instance; builds the relay's queries and counts the backlog for metrics. */
  readonly db: Kysely<DB>;
  /**
   * Connection settings (URL or pg config) for the relay's own session: the leader lock, the LISTEN
   * and the relay's reads and deletes run on it, outside the pool.
   */
  readonly session: string | pg.ClientConfig;
  readonly kafka: Kafka;
  readonly logger: Logger;
  /** Where to register the girok_outbox_* metrics; none are exported without it. */
  readonly registry?: Registry;
  readonly options?: OutboxRelayOptions;
}

type Settings = Required<OutboxRelayOptions>;

const DEFAULTS: Settings = {
  batchSize: 500,
  maxBatchBytes: 512 * 1024,
  lingerMs: 10,
  pollIntervalMs: 1000,
  takeoverIntervalMs: 1000,
  backoffInitialMs: 200,
  backoffMaxMs: 10_000,
  sendRetries: 5,
  recoveryClockMarginMs: 30_000,
  recoveryTimeoutMs: 60_000,
};

/** A failed step of the loop, with what was being done and against which dependency. */
class RelayStepError extends Error {
  readonly stage: OutboxErrorStage;
  readonly doing: string;

  constructor(stage: OutboxErrorStage, doing: string, cause: unknown) {
    super(`${doing}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RelayStepError';
    this.stage = stage;
    this.doing = doing;
  }
}

async function step<T>(stage: OutboxErrorStage, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof RelayStepError ? err : new RelayStepError(stage, doing, err);
  }
}

interface Leadership {
  readonly session: RelaySession;
  readonly repository: OutboxRepository;
}

/**
 * Publishes outbox rows to Kafka as CloudEvents, in seq order, exactly once.
 *
 * One relay per database publishes (a session advisory lock); the others wait and take over when
 * its session ends. Rows are deleted only after Kafka acknowledged them, so a crash in between
 * leaves rows pending that are already on Kafka: before sending anything as a new leader, and
 * after any send whose outcome it does not know, the relay reads the topics back and deletes the
 * pending rows it finds there instead of sending them a second time.
 */
export class OutboxRelay<DB extends OutboxDatabase = OutboxDatabase> {
  readonly #db: Kysely<OutboxDatabase>;
  readonly #sessionConfig: string | pg.ClientConfig;
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #settings: Settings;
  readonly #metrics: OutboxMetrics;
  readonly #backoff: Backoff;
  readonly #kafkaOutage: OutageLog;
  readonly #databaseOutage: OutageLog;

  #loop: Promise<void> | undefined;
  #stopping = false;
  #session: RelaySession | undefined;
  #leadership: Leadership | undefined;
  #producer: Producer | undefined;
  /** A read-back is owed before the next send: new leadership, or a send that may have landed. */
  #recoveryNeeded = true;
  #notified = false;
  #wake: (() => void) | undefined;
  #wakeOnNotification = false;
  #waitingLogged = false;

  constructor(deps: OutboxRelayDeps<DB>) {
    this.#db = outboxView(deps.db);
    this.#sessionConfig = deps.session;
    this.#kafka = deps.kafka;
    this.#logger = deps.logger.child({ component: 'outbox-relay' });
    this.#settings = { ...DEFAULTS, ...deps.options };
    for (const [name, value] of Object.entries(this.#settings)) {
      if (!Number.isInteger(value) || value < (name === 'recoveryClockMarginMs' ? 0 : 1)) {
        throw new TypeError(`OutboxRelay option ${name} must be a positive integer, got ${value}`);
      }
    }
    const pool = new OutboxRepository(this.#db, async (query) => (await this.#db.executeQuery(query)).rows);
    this.#metrics = createOutboxMetrics(
      deps.registry,
      () => pool.countPending(),
      (err) => this.#logger.debug({ err }, 'could not count pending outbox events for metrics'),
    );
    this.#backoff = new Backoff(this.#settings.backoffInitialMs, this.#settings.backoffMaxMs);
    this.#kafkaOutage = new OutageLog(this.#logger, 'Kafka');
    this.#databaseOutage = new OutageLog(this.#logger, 'PostgreSQL');
  }

  /** Whether this relay currently holds the lock and publishes. */
  get isLeader(): boolean {
    return this.#leadership?.session.alive === true;
  }

  /** Starts campaigning for the lock and, once leader, publishing. Returns at once. */
  start(): void {
    if (this.#loop !== undefined) throw new Error('OutboxRelay already started');
    this.#loop = this.#run();
  }

  /** Lets the in-flight batch finish and be recorded, then releases the lock and the connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        if (this.#leadership === undefined || !this.#leadership.session.alive) {
          if (!(await this.#campaign())) await this.#sleep(this.#settings.takeoverIntervalMs, false);
          continue;
        }
        if (this.#recoveryNeeded) await this.#recover(this.#leadership);
        this.#notified = false;
        const more = await this.#publishBatch(this.#leadership);
        this.#backoff.reset();
        // A notification during the batch means rows the batch may not have seen: go again.
        if (more) continue;
        if (!this.#notified) await this.#sleep(this.#settings.pollIntervalMs, true);
        // New rows announced: let the commits racing them join the next batch (Kafka's linger.ms).
        if (this.#notified && this.#settings.lingerMs > 0) await this.#sleep(this.#settings.lingerMs, false);
      } catch (err) {
        await this.#onFailure(err);
        // Notifications do not cut this wait short: during an outage every insert would retry.
        await this.#sleep(this.#backoff.next(), false);
      }
    }
    await this.#shutdown();
  }

  /** Opens the session if needed and tries the lock once. */
  async #campaign(): Promise<boolean> {
    if (this.#session !== undefined && !this.#session.alive) await this.#dropSession();
    const session =
      this.#session ?? (await step('database', 'opening the relay session', () => this.#openSession()));
    this.#session = session;
    const leads = await step('database', 'asking for the relay lock', () => session.tryLead());
    this.#databaseOutage.succeeded();
    if (!leads) {
      if (!this.#waitingLogged) this.#logger.info('another relay publishes this outbox; standing by');
      this.#waitingLogged = true;
      return false;
    }
    await step('database', 'listening for outbox notifications', () => session.listen());
    this.#leadership = { session, repository: new OutboxRepository(this.#db, (query) => session.run(query)) };
    this.#recoveryNeeded = true;
    this.#waitingLogged = false;
    this.#logger.info({ pid: session.pid }, 'outbox relay is the leader');
    return true;
  }

  #openSession(): Promise<RelaySession> {
    return RelaySession.open(this.#sessionConfig, {
      onNotification: () => {
        this.#notified = true;
        if (this.#wakeOnNotification) this.#wake?.();
      },
      onLost: (err) => {
        if (this.#stopping) return;
        this.#logger.warn({ err }, 'outbox relay session lost; any leadership went with it');
        this.#wake?.();
      },
    });
  }

  /**
   * Finds pending rows that are already on Kafka and deletes them unsent. Every record a previous
   * leader (or this one) may have produced for a pending row was produced after the row was
   * created, so reading each topic from its oldest pending row's creation time (less a clock
   * margin) up to the current high watermark sees every such record.
   */
  async #recover(leadership: Leadership): Promise<void> {
    const { repository } = leadership;
    const topics = await step('database', 'listing topics with pending events', () =>
      repository.pendingTopics(),
    );
    let found = 0;
    let records = 0;
    if (topics.length > 0) {
      const ranges = topics.map((t) => ({
        topic: t.topic,
        fromTimestamp: t.oldest.getTime() - this.#settings.recoveryClockMarginMs,
      }));
      const result = await step('recovery', 'reading outbox topics back from Kafka', () =>
        readBackEventIds(
          this.#kafka,
          ranges,
          async (ids) => {
            found += await step('database', 'removing events found on Kafka', () =>
              repository.deleteByIds(ids),
            );
          },
          { timeoutMs: this.#settings.recoveryTimeoutMs, logger: this.#logger },
        ),
      );
      records = result.records;
      this.#kafkaOutage.succeeded();
    }
    this.#recoveryNeeded = false;
    this.#metrics.recovered.inc(found);
    this.#logger.info(
      { topics: topics.map((t) => t.topic), recordsRead: records, alreadyPublished: found },
      'outbox recovery done',
    );
  }

  /** Sends one batch and records it. Returns whether more rows are probably waiting. */
  async #publishBatch(leadership: Leadership): Promise<boolean> {
    const { session, repository } = leadership;
    const rows = await step('database', 'reading pending events', () =>
      repository.nextBatch(this.#settings.batchSize),
    );
    if (rows.length === 0) return false;
    const batch = takeWithinBytes(rows, this.#settings.maxBatchBytes);
    const producer = await this.#connectedProducer();
    // Last check before the irreversible part: a relay whose session (and so lock) is gone must
    // not send, or it would race the new leader.
    if (!session.alive)
      throw new RelayStepError('database', 'sending events', new Error('relay session lost'));
    try {
      await producer.sendBatch({ topicMessages: byTopic(batch), acks: -1 });
    } catch (err) {
      // Some records may be on Kafka. A read-back must settle which before anything is resent. The
      // producer goes too: kafkajs rolled its sequence numbers back, and reusing them for different
      // records after a write that did land would make the broker drop those records as duplicates.
      this.#recoveryNeeded = true;
      await this.#discardProducer();
      throw new RelayStepError('send', `sending ${batch.length} events`, err);
    }
    this.#kafkaOutage.succeeded();
    let deleted: number;
    try {
      deleted = await repository.deleteBySeq(batch.map((event) => event.seq));
    } catch (err) {
      // Sent but not recorded: the same situation as a crash here.
      this.#recoveryNeeded = true;
      throw new RelayStepError('database', 'recording published events', err);
    }
    this.#databaseOutage.succeeded();
    if (deleted !== batch.length) {
      this.#logger.error(
        { sent: batch.length, deleted },
        'published events were already gone from the outbox: another relay published them too',
      );
    }
    for (const [topic, messages] of countByTopic(batch)) this.#metrics.published.inc({ topic }, messages);
    return rows.length === this.#settings.batchSize || batch.length < rows.length;
  }

  async #connectedProducer(): Promise<Producer> {
    if (this.#producer !== undefined) return this.#producer;
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: this.#settings.sendRetries },
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => {});
      throw new RelayStepError('send', 'connecting the Kafka producer', err);
    }
    this.#producer = producer;
    return producer;
  }

  async #discardProducer(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect().catch(() => {});
  }

  async #onFailure(err: unknown): Promise<void> {
    const failure =
      err instanceof RelayStepError ? err : new RelayStepError('database', 'running the outbox relay', err);
    this.#metrics.publishErrors.inc({ stage: failure.stage });
    if (failure.stage === 'database') {
      this.#databaseOutage.failed(failure.cause, failure.doing);
      // A dead session took the lock with it; a live one keeps leading and retries.
      if (this.#session !== undefined && !this.#session.alive) await this.#dropSession();
    } else {
      this.#kafkaOutage.failed(failure.cause, failure.doing);
    }
  }

  async #dropSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#leadership = undefined;
    // A follower has no use for a producer; a future leader starts with a fresh one.
    await this.#discardProducer();
    await session?.close();
  }

  async #shutdown(): Promise<void> {
    const wasLeader = this.isLeader;
    await this.#dropSession();
    if (wasLeader) this.#logger.info('outbox relay stopped; lock released');
  }

  #sleep(ms: number, wakeOnNotification: boolean): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#wakeOnNotification = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      this.#wakeOnNotification = wakeOnNotification;
    });
  }
}

/** The longest prefix within the byte budget, never empty: an oversized event still gets its try. */
function takeWithinBytes(rows: readonly PendingEvent[], maxBytes: number): PendingEvent[] {
  let bytes = 0;
  let count = 0;
  for (const row of rows) {
    bytes += approximateSize(row);
    if (count > 0 && bytes > maxBytes) break;
    count += 1;
  }
  return rows.slice(0, count);
}

/** Messages per topic, each list in seq order, which kafkajs keeps within a partition. */
function byTopic(batch: readonly PendingEvent[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const event of batch) {
    const messages = topics.get(event.topic) ?? [];
    messages.push(toKafkaMessage(event));
    topics.set(event.topic, messages);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function countByTopic(batch: readonly PendingEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of batch) counts.set(event.topic, (counts.get(event.topic) ?? 0) + 1);
  return counts;
}
