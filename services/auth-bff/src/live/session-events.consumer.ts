import type { EventRecord } from '@girok/kit/events';
import type { Logger } from '@girok/kit/logging';
import { Inject, Injectable } from '@nestjs/common';
import { BrowserSessionRepository } from '../repositories/browser-session.repository.ts';
import { LOGGER } from '../tokens.ts';
import { LiveSessionHub, type SessionChange } from './live-session.hub.ts';

/** The identity topics the live view follows. */
export const SESSION_TOPICS = ['identity.session.v1', 'identity.device.v1'] as const;

interface SessionPayload {
  readonly session?: { readonly id?: string; readonly accountId?: string; readonly deviceId?: string };
  readonly device?: { readonly id?: string; readonly accountId?: string };
}

/** `girok.identity.v1.session.revoked` → `session.revoked`. */
const shortType = (type: string) => type.replace(/^girok\.identity\.v1\./, '');

/**
 * Turns identity's session and device events into live changes: a revoked session's browser
 * session is deleted at once (its next request is 401), then the change goes to every replica.
 * Runs in one replica per event (a consumer group); idempotent, so a redelivery is harmless.
 */
@Injectable()
export class SessionEventsConsumer {
  readonly #sessions: BrowserSessionRepository;
  readonly #hub: LiveSessionHub;
  readonly #logger: Logger;

  constructor(
    @Inject(BrowserSessionRepository) sessions: BrowserSessionRepository,
    @Inject(LiveSessionHub) hub: LiveSessionHub,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#sessions = sessions;
    this.#hub = hub;
    this.#logger = logger;
  }

  readonly handle = async (event: EventRecord): Promise<void> => {
    const change = toChange(event);
    if (change === undefined) {
      this.#logger.debug({ type: event.type, id: event.id }, 'event without an account ignored');
      return;
    }
    if (change.type === 'session.revoked' && change.sessionId !== null) {
      await this.#sessions.deleteBySessionId(change.sessionId);
    }
    await this.#hub.publish(change);
  };
}

export function toChange(event: EventRecord): SessionChange | undefined {
  const data = (event.data ?? {}) as SessionPayload;
  const accountId = data.session?.accountId ?? data.device?.accountId;
  if (accountId === undefined || accountId === '') return undefined;
  return {
    type: shortType(event.type),
    accountId,
    sessionId: data.session?.id ?? null,
    deviceId: data.session?.deviceId ?? data.device?.id ?? null,
    occurredAt: event.time.toISOString(),
  };
}
