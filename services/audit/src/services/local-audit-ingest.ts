import type { EventRecord } from '@girok/kit/events';
import type { Logger } from '@girok/kit/logging';
import { type AuditRow, auditRowOf } from '../dtos/audit.dto.ts';
import type { AuditWriter } from './audit-writer.ts';

export interface LocalAuditIngestOptions {
  readonly writer: AuditWriter;
  readonly logger: Logger;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

/**
 * Local mode's intake from the in-process bus. The bus awaits each handler before it delivers the
 * next event (to every subscriber, from every service), so waiting here for a batch to fill would
 * hold up the whole platform one linger per event. The handler hands the row over and returns; a
 * batch that cannot be written is retried with backoff for as long as the process lives, the same
 * durability the bus itself has.
 */
export class LocalAuditIngest {
  readonly #writer: AuditWriter;
  readonly #logger: Logger;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #wakers = new Set<() => void>();
  #stopping = false;

  constructor(options: LocalAuditIngestOptions) {
    this.#writer = options.writer;
    this.#logger = options.logger.child({ component: 'local-audit-ingest' });
    this.#retryInitialMs = options.retryInitialMs;
    this.#retryMaxMs = options.retryMaxMs;
  }

  readonly handle = (event: EventRecord): void => {
    let row: AuditRow;
    try {
      row = auditRowOf(event, new Date());
    } catch (error) {
      this.#logger.error(
        { err: error, eventId: event.id, type: event.type },
        'skipped an event that is not an audit event',
      );
      return;
    }
    const writing = this.#untilWritten(row);
    this.#inFlight.add(writing);
    void writing.finally(() => this.#inFlight.delete(writing));
  };

  /** Stops retrying and waits for the writes in progress; rows still unwritten are logged as lost. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const wake of this.#wakers) wake();
    await Promise.all(this.#inFlight);
  }

  async #untilWritten(row: AuditRow): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      try {
        await this.#writer.write([row]);
        return;
      } catch (error) {
        if (failures === 0) this.#logger.warn({ err: error, id: row.id }, 'audit write failed; retrying');
      }
      if (this.#stopping) {
        this.#logger.error(
          { id: row.id },
          'audit event not written before shutdown (local mode keeps no backlog)',
        );
        return;
      }
      const ceiling = Math.min(this.#retryMaxMs, this.#retryInitialMs * 2 ** Math.min(failures, 30));
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(this.#retryInitialMs, Math.random() * ceiling));
        this.#wakers.add(wake);
      });
    }
  }
}
