import { type DescMessage, fromJson, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { DsrFulfilmentRequestedSchema, DsrPartCompletedSchema } from '@girok/contracts/legal/v1/dsr';
import type { EventRecord } from '@girok/kit/events';
import type { Logger } from '@girok/kit/logging';
import { Inject, Injectable } from '@nestjs/common';
import { DsrFulfilmentService } from '../services/dsr-fulfilment.service.ts';
import { DSR_EVENT_TYPES, DSR_TOPIC } from '../services/legal-events.ts';
import { LOGGER } from '../tokens.ts';

export const CONSUMED_TOPICS = [DSR_TOPIC];

/** The event's data as a contract message, or undefined when it is not one (never worth a retry). */
export function decode<Desc extends DescMessage>(
  schema: Desc,
  event: EventRecord,
): MessageShape<Desc> | undefined {
  try {
    return fromJson(schema, event.data as JsonValue, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/**
 * legal.dsr.v1 into the fulfilment protocol. Only database failures throw (the Kafka consumer then
 * retries the event without moving past it); other types on the topic (filed, escalated, ...) and
 * undecodable payloads are skipped.
 */
@Injectable()
export class DsrEventsConsumer {
  readonly #fulfilment: DsrFulfilmentService;
  readonly #logger: Logger;

  constructor(
    @Inject(DsrFulfilmentService) fulfilment: DsrFulfilmentService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#fulfilment = fulfilment;
    this.#logger = logger;
  }

  readonly handle = async (event: EventRecord): Promise<void> => {
    if (event.type === DSR_EVENT_TYPES.fulfilmentRequested) {
      const message = decode(DsrFulfilmentRequestedSchema, event);
      if (message === undefined) return this.#skip(event);
      await this.#fulfilment.onRequested(message);
    } else if (event.type === DSR_EVENT_TYPES.partCompleted) {
      const message = decode(DsrPartCompletedSchema, event);
      if (message === undefined) return this.#skip(event);
      await this.#fulfilment.onPartCompleted(message);
    }
  };

  #skip(event: EventRecord): void {
    this.#logger.warn({ eventId: event.id, type: event.type }, 'undecodable DSR event skipped');
  }
}
