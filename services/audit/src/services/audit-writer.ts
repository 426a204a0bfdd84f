import type { Logger } from '@girok/kit/logging';
import type { ResiliencePolicy } from '@girok/kit/resilience';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditRow } from '../dtos/audit.dto.ts';
import type { AuditStore } from '../repositories/audit-store.ts';
import { BatchWriter } from './batch-writer.ts';

export interface AuditWriterOptions {
  readonly store: AuditStore;
  /** The store's policy (timeout, retry, breaker) shared with the reads. */
  readonly policy: ResiliencePolicy;
  readonly batchSize: number;
  readonly lingerMs: number;
  /** Inserts in progress at once (the next batch is checked and written while one is). */
  readonly concurrency: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * Writes audit rows to the store (ClickHouse, or local mode's) in batches, through the resilience
 * policy. `write` resolves once the rows are stored (or were already: see `AuditStore.insertNew`)
 * and rejects when their batch could not be written, so the consumer retries them and commits
 * nothing past them.
 */
export class AuditWriter {
  readonly #batches: BatchWriter<AuditRow>;
  readonly #store: AuditStore;
  readonly #policy: ResiliencePolicy;
  readonly #logger: Logger;
  #schemaReady = false;

  constructor(options: AuditWriterOptions) {
    this.#store = options.store;
    this.#policy = options.policy;
    this.#logger = options.logger.child({ component: 'audit-writer' });
    const written = new Counter({
      name: 'girok_audit_rows_written_total',
      help: 'Audit events written to ClickHouse (inserted) or found there already (duplicate: a redelivery)',
      labelNames: ['outcome'],
      registers: [options.registry],
    });
    const batchSize = new Histogram({
      name: 'girok_audit_batch_size',
      help: 'Events per ClickHouse insert attempt',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
      registers: [options.registry],
    });
    const failures = new Counter({
      name: 'girok_audit_batch_failures_total',
      help: 'Batches that could not be written (the consumer retries them)',
      registers: [options.registry],
    });
    this.#batches = new BatchWriter<AuditRow>({
      maxBatchSize: options.batchSize,
      lingerMs: options.lingerMs,
      maxInFlight: options.concurrency,
      flush: async (rows) => {
        batchSize.observe(rows.length);
        try {
          const outcome = await this.#policy.execute(async (signal) => {
            if (!this.#schemaReady) {
              await this.#store.ensureSchema(signal);
              this.#schemaReady = true;
            }
            return this.#store.insertNew(rows, signal);
          });
          written.inc({ outcome: 'inserted' }, outcome.inserted);
          if (outcome.duplicates > 0) {
            written.inc({ outcome: 'duplicate' }, outcome.duplicates);
            this.#logger.debug({ duplicates: outcome.duplicates }, 'skipped events already stored');
          }
        } catch (error) {
          failures.inc();
          throw error;
        }
      },
    });
    const batches = this.#batches;
    new Gauge({
      name: 'girok_audit_buffered_events',
      help: 'Audit events waiting for their batch to be written',
      registers: [options.registry],
      collect() {
        this.set(batches.buffered);
      },
    });
  }

  /** Set once the table is known to exist (start-up created it). */
  markSchemaReady(): void {
    this.#schemaReady = true;
  }

  write(rows: readonly AuditRow[]): Promise<void> {
    return this.#batches.write(rows);
  }

  /** Flushes what is buffered (one attempt each) and refuses further writes. */
  close(): Promise<void> {
    return this.#batches.close();
  }
}
