import { fromJson, type JsonValue, toJson } from '@bufbuild/protobuf';
import { DsrOutcome, type DsrPartCompleted, DsrPartCompletedSchema } from '@girok/contracts/legal/v1/dsr';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { EventConsumer } from '../events/event-consumer.ts';
import type { EventRecord } from '../events/in-process-bus.ts';
import type { Logger } from '../logging/logger.ts';
import { appendEvents } from '../outbox/append-events.ts';
import { Backoff } from '../outbox/backoff.ts';
import type { OutboxDatabase } from '../outbox/outbox.table.ts';
import { type DsrDatabase, dsrView } from './dsr-answers.table.ts';
import {
  type DsrErasureResult,
  type DsrRequest,
  decideDsrEvent,
  erasureAnswer,
  exportAnswer,
  partCompletedEvent,
} from './dsr-protocol.ts';

/** What a service does for a data-subject request, inside the participant's transaction. */
export interface DsrHandlers<DB> {
  /**
   * Erases (or anonymises, or keeps under a stated legal ground) what the service holds for the
   * account. Throwing rolls the whole answer back; the request is then delivered again.
   */
  erase(tx: Transaction<DB>, accountId: string, request: DsrRequest): Promise<DsrErasureResult>;
  /**
   * The service's data about the account as a JSON object (machine-readable; never secrets, hashes
   * or codes), or undefined when it holds nothing (an object of empty fields counts as nothing).
   */
  export(tx: Transaction<DB>, accountId: string, request: DsrRequest): Promise<object | undefined>;
}

export interface DsrParticipantOptions<DB extends DsrDatabase & OutboxDatabase> {
  /** The participant name legal-service lists, e.g. `identity-service`; also the events' source. */
  readonly service: string;
  /**
   * Built by the service: `KafkaEventConsumer` (group = the service, topic `legal.dsr.v1`) or, in
   * local mode, `LocalEventConsumer` on the shared bus.
   */
  readonly consumer: EventConsumer;
  /** The service database, with `outbox_events` and `dsr_answers` (`dsrAnswersMigration`). */
  readonly db: Kysely<DB>;
  readonly logger: Logger;
  readonly handlers: DsrHandlers<DB>;
  /** First and largest wait between attempts to start the consumer (full jitter). Defaults 1000 and 60 000. */
  readonly startRetryInitialMs?: number;
  readonly startRetryMaxMs?: number;
}

/**
 * One service's part in the data-subject request protocol (proto/girok/legal/v1/dsr.proto): answers
 * each `fulfilment_requested` that lists it with one `part_completed`, the same way in every
 * service. Delivery is at least once; the answer is recorded in `dsr_answers`, so a request that
 * comes again is answered again with the stored answer and its erasure or export never runs twice.
 */
export class DsrParticipant<DB extends DsrDatabase & OutboxDatabase> {
  readonly #service: string;
  readonly #consumer: EventConsumer;
  readonly #db: Kysely<DB>;
  readonly #logger: Logger;
  readonly #handlers: DsrHandlers<DB>;
  readonly #startRetryInitialMs: number;
  readonly #startRetryMaxMs: number;
  #starting: Promise<void> | undefined;
  #running = false;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(options: DsrParticipantOptions<DB>) {
    this.#service = options.service;
    this.#consumer = options.consumer;
    this.#db = options.db;
    this.#logger = options.logger.child({ component: 'dsr-participant' });
    this.#handlers = options.handlers;
    this.#startRetryInitialMs = options.startRetryInitialMs ?? 1_000;
    this.#startRetryMaxMs = options.startRetryMaxMs ?? 60_000;
  }

  /**
   * Starts consuming; resolves once the consumer runs. A start that fails (broker unreachable, topic
   * not created yet) is logged and tried again with backoff until it works or `stop()` is called:
   * a service may start this without awaiting it, so that its own traffic never waits for Kafka.
   */
  start(): Promise<void> {
    this.#starting ??= this.#startUntilRunning();
    return this.#starting;
  }

  /** Stops taking requests; the one being answered finishes (and commits) first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#starting;
    if (this.#running) {
      this.#running = false;
      await this.#consumer.stop();
    }
  }

  /** The consumer's handler: answers a request for this service, ignores everything else. */
  readonly handle = async (event: EventRecord): Promise<void> => {
    const decision = decideDsrEvent(event, this.#service);
    if (decision.action === 'ignore') return;
    if (decision.action === 'reject') {
      // No retry can make it answerable, and retrying would hold up every request behind it on the
      // partition. legal-service sees the part missing and escalates the request as its deadline nears.
      this.#logger.error(
        { eventId: event.id, reason: decision.reason },
        'unanswerable DSR fulfilment request',
      );
      return;
    }
    const { request } = decision;
    const { answer, repeated } = await this.answer(request);
    this.#logger.info(
      {
        requestId: request.requestId,
        accountId: request.accountId,
        type: request.type,
        outcome: DsrOutcome[answer.outcome],
        repeated,
      },
      repeated ? 'DSR request already answered; answer published again' : 'DSR request answered',
    );
  };

  /**
   * Answers `request` in one transaction: claim `(request_id, service)` in `dsr_answers`; if it was
   * already answered, append the stored answer again; else erase or export, store the answer and
   * append it. Because the claim, the service's erasure and the outbox row commit together, a crash
   * at any point leaves either nothing (the request is delivered again and answered from scratch)
   * or everything (the erasure done, the answer stored and on its way to Kafka) — never an erasure
   * without its answer, nor an answer for an erasure that did not happen.
   */
  async answer(request: DsrRequest): Promise<{ answer: DsrPartCompleted; repeated: boolean }> {
    return this.#db.transaction().execute(async (tx) => {
      const answers = dsrView(tx);
      // The insert is the lock: a concurrent delivery of the same request waits here until this
      // transaction ends, then finds the row (committed) or claims it (rolled back).
      const claimed = await answers
        .insertInto('dsr_answers')
        .values({
          request_id: request.requestId,
          service: this.#service,
          account_id: request.accountId,
          type: request.type,
        })
        .onConflict((oc) => oc.columns(['request_id', 'service']).doNothing())
        .returning('request_id')
        .executeTakeFirst();

      if (claimed === undefined) {
        const stored = await answers
          .selectFrom('dsr_answers')
          .select('answer')
          .where('request_id', '=', request.requestId)
          .where('service', '=', this.#service)
          .executeTakeFirstOrThrow();
        const answer = fromJson(DsrPartCompletedSchema, stored.answer as JsonValue, {
          ignoreUnknownFields: true,
        });
        await appendEvents(tx, [partCompletedEvent(this.#service, answer)]);
        return { answer, repeated: true };
      }

      const answer =
        request.type === 'ERASURE'
          ? erasureAnswer(this.#service, request, await this.#handlers.erase(tx, request.accountId, request))
          : exportAnswer(this.#service, request, await this.#handlers.export(tx, request.accountId, request));
      await answers
        .updateTable('dsr_answers')
        .set({ answer: JSON.stringify(toJson(DsrPartCompletedSchema, answer)) })
        .where('request_id', '=', request.requestId)
        .where('service', '=', this.#service)
        .execute();
      if (request.type === 'ERASURE') await this.#withdrawExports(tx, request);
      await appendEvents(tx, [partCompletedEvent(this.#service, answer)]);
      return { answer, repeated: false };
    });
  }

  /**
   * The stored answers to the account's earlier access and portability requests hold a copy of
   * the data just erased: drop it. A redelivery of such a request is then answered without it.
   */
  async #withdrawExports(tx: Transaction<DB>, request: DsrRequest): Promise<void> {
    const note = `export withdrawn: the account's data was erased (request ${request.requestId})`;
    await dsrView(tx)
      .updateTable('dsr_answers')
      .set({
        answer: sql<string>`(answer - 'exportJson') || jsonb_build_object('note', ${note}::text)`,
      })
      .where('account_id', '=', request.accountId)
      .where('service', '=', this.#service)
      .where(sql<boolean>`answer ? 'exportJson'`)
      .execute();
  }

  async #startUntilRunning(): Promise<void> {
    const backoff = new Backoff(this.#startRetryInitialMs, this.#startRetryMaxMs);
    for (let failures = 0; !this.#stopped; ) {
      try {
        await this.#consumer.start(this.handle);
        this.#running = true; // stop() arriving meanwhile stops it once this resolves
        if (!this.#stopped) this.#logger.info({ service: this.#service }, 'answering data-subject requests');
        return;
      } catch (error) {
        failures += 1;
        const log = { err: error, failures };
        if (failures === 1) this.#logger.warn(log, 'DSR consumer did not start; retrying with backoff');
        else this.#logger.debug(log, 'DSR consumer did not start again');
      }
      if (this.#stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff.next());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
