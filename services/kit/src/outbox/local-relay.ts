import type { Kysely } from 'kysely';
import type { EventRecord, InProcessBus } from '../events/in-process-bus.ts';
import type { Logger } from '../logging/logger.ts';
import { OutboxRepository } from './outbox.repository.ts';
import type { OutboxDatabase } from './outbox.table.ts';

export interface LocalOutboxRelayDeps<DB extends OutboxDatabase> {
  readonly db: Kysely<DB>;
  readonly bus: InProcessBus;
  readonly logger: Logger;
  /** Default 50 ms: local mode has no NOTIFY listener of its own, and a laptop can afford the poll. */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
}

/**
 * The outbox relay of local mode: one process, so no leader lock and no Kafka read-back; rows are
 * delivered to the in-process bus in `seq` order, then deleted (at least once while it runs).
 */
export class LocalOutboxRelay<DB extends OutboxDatabase> {
  readonly #repository: OutboxRepository;
  readonly #bus: InProcessBus;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(deps: LocalOutboxRelayDeps<DB>) {
    const db = deps.db as unknown as Kysely<OutboxDatabase>;
    this.#repository = new OutboxRepository(
      db,
      async (query) => (await db.executeQuery(query.compile())).rows,
    );
    this.#bus = deps.bus;
    this.#logger = deps.logger.child({ component: 'local-outbox-relay' });
    this.#pollIntervalMs = deps.pollIntervalMs ?? 50;
    this.#batchSize = deps.batchSize ?? 500;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        const rows = await this.#repository.nextBatch(this.#batchSize);
        if (rows.length > 0) {
          const events: EventRecord[] = rows.map((row) => ({
            id: row.id,
            topic: row.topic,
            key: row.key,
            type: row.type,
            source: row.source,
            subject: row.subject,
            time: row.createdAt,
            data: JSON.parse(row.data) as unknown,
          }));
          await this.#bus.publish(events);
          await this.#repository.deleteBySeq(rows.map((row) => row.seq));
          continue;
        }
      } catch (error) {
        this.#logger.warn({ err: error }, 'local outbox relay round failed; retrying');
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#pollIntervalMs);
      });
    }
  }
}
