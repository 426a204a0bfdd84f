import type { EventConsumer } from '../events/event-consumer.ts';
import type { EventRecord } from '../events/in-process-bus.ts';
import type { Logger } from '../logging/logger.ts';
import type { AccessTokenClaims } from './token-verifier.ts';

/** identity-service's topics that end sessions: one `session.revoked` per session, `account.deleted` per account. */
export const REVOCATION_TOPICS = ['identity.session.v1', 'identity.account.v1'] as const;

const SESSION_REVOKED = 'girok.identity.v1.session.revoked';
const ACCOUNT_DELETED = 'girok.identity.v1.account.deleted';

interface RevocationPayload {
  readonly session?: { readonly id?: string; readonly revokedAt?: string };
  readonly account?: { readonly id?: string };
}

export interface SessionRevocationsOptions {
  readonly consumer: EventConsumer;
  /**
   * How long a revocation is remembered: the longest a token minted before it can still verify,
   * i.e. the verifier's `maxLifetimeSeconds + clockToleranceSeconds` (`revocationRetentionMs`).
   */
  readonly retentionMs: number;
  readonly logger: Logger;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

/** How long revocations must be kept (and read back on start) for tokens `verifier` accepts. */
export function revocationRetentionMs(verifier: {
  readonly maxLifetimeSeconds: number;
  readonly clockToleranceSeconds: number;
}): number {
  return (verifier.maxLifetimeSeconds + verifier.clockToleranceSeconds) * 1000;
}

/**
 * The sessions identity-service revoked (reuse detection, logout, password change, a revoked
 * device) and the accounts it deleted, as learnt from its events, so a service refuses their
 * access tokens within a second instead of when they expire. Every replica keeps its own copy
 * (its consumer must see every event, not a share of them). An entry is forgotten once every
 * token it can concern has expired, so memory holds at most `retentionMs` of revocations.
 */
export class SessionRevocations {
  readonly #consumer: EventConsumer;
  readonly #retentionMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Session id → when to forget it; in insertion order, so expired entries are at the front. */
  readonly #sessions = new Map<string, number>();
  /** Account id → its tokens issued before `before` are refused, until `forgetAt`. */
  readonly #accounts = new Map<string, { readonly before: number; readonly forgetAt: number }>();

  constructor(options: SessionRevocationsOptions) {
    this.#consumer = options.consumer;
    this.#retentionMs = options.retentionMs;
    this.#logger = options.logger.child({ component: 'session-revocations' });
    this.#now = options.now ?? Date.now;
  }

  start(): Promise<void> {
    return this.#consumer.start(this.handle);
  }

  stop(): Promise<void> {
    return this.#consumer.stop();
  }

  /** Idempotent: a redelivered or replayed revocation only renews its entry. */
  readonly handle = (event: EventRecord): void => {
    if (event.type !== SESSION_REVOKED && event.type !== ACCOUNT_DELETED) return;
    const now = this.#now();
    this.#forgetExpired(now);
    const data = (event.data ?? {}) as RevocationPayload;
    if (event.type === SESSION_REVOKED) {
      const sessionId = data.session?.id;
      if (sessionId === undefined || sessionId === '') {
        this.#logger.warn({ eventId: event.id }, 'session.revoked without a session id ignored');
        return;
      }
      const revokedAt = Date.parse(data.session?.revokedAt ?? '') || event.time.getTime();
      const forgetAt = Math.max(this.#sessions.get(sessionId) ?? 0, this.#forgetAt(revokedAt, now));
      // Read back from before every token it concerns expired: nothing to remember.
      if (forgetAt <= now) return;
      // Moved to the back, so the front stays the oldest.
      this.#sessions.delete(sessionId);
      this.#sessions.set(sessionId, forgetAt);
      return;
    }
    const accountId = data.account?.id || event.key;
    const deletedAt = event.time.getTime();
    const known = this.#accounts.get(accountId);
    const forgetAt = Math.max(known?.forgetAt ?? 0, this.#forgetAt(deletedAt, now));
    if (forgetAt <= now) return;
    this.#accounts.delete(accountId);
    this.#accounts.set(accountId, { before: Math.max(known?.before ?? 0, deletedAt), forgetAt });
  };

  /** True when the token's session is revoked, or its account was deleted after it was issued. */
  isRevoked(claims: Pick<AccessTokenClaims, 'sub' | 'sid' | 'issuedAt'>): boolean {
    const now = this.#now();
    this.#forgetExpired(now);
    // An expired entry can sit behind one that expires later (the front is dropped first).
    if ((this.#sessions.get(claims.sid) ?? 0) > now) return true;
    const account = this.#accounts.get(claims.sub);
    // `iat` is whole seconds, rounded down: a token minted in the second of the deletion is refused.
    return account !== undefined && account.forgetAt > now && claims.issuedAt.getTime() < account.before;
  }

  /** Revocations remembered (sessions and accounts); expired ones are dropped on every look. */
  get size(): number {
    this.#forgetExpired(this.#now());
    return this.#sessions.size + this.#accounts.size;
  }

  /** A revocation stamped in the future (a skewed clock) is kept from now, not from then: memory stays bounded. */
  #forgetAt(at: number, now: number): number {
    return Math.min(at, now) + this.#retentionMs;
  }

  /**
   * Entries are appended with `forgetAt <= now + retention`, so every entry is dropped at most one
   * retention after it was added, even behind an older entry that expires later.
   */
  #forgetExpired(now: number): void {
    for (const map of [this.#sessions, this.#accounts] as const) {
      for (const [id, entry] of map) {
        const forgetAt = typeof entry === 'number' ? entry : entry.forgetAt;
        if (forgetAt > now) break;
        map.delete(id);
      }
    }
  }
}
