import type { KeyValueStore } from '@girok/kit/cache';
import { Inject, Injectable } from '@nestjs/common';
import type { BffConfig } from '../config.ts';
import { CONFIG, KV_STORE } from '../tokens.ts';

export type AccountModeName = 'USER' | 'ADMIN' | 'OPERATOR';

/** What one browser's session cookie stands for. Kept encrypted in the store. */
export interface BrowserSession {
  readonly accountId: string;
  readonly sessionId: string;
  readonly mode: AccountModeName;
  readonly refreshToken: string;
  /** Absent while an admin or operator still has to enrol MFA: such a session can do nothing else. */
  readonly accessToken: string | undefined;
  readonly accessExpiresAt: number;
  readonly tokenType: string | undefined;
  readonly scope: readonly string[];
  readonly csrfToken: string;
  /** When identity-service ends the session unless it is used (epoch ms). */
  readonly expiresAt: number;
}

/**
 * Browser sessions in Valkey (local mode: memory): `session:<handle>` → the encrypted record, and
 * `sid:<session id>` → handle so an identity event about the session can end it at once.
 */
@Injectable()
export class BrowserSessionRepository {
  readonly #store: KeyValueStore;
  readonly #config: BffConfig;

  constructor(@Inject(KV_STORE) store: KeyValueStore, @Inject(CONFIG) config: BffConfig) {
    this.#store = store;
    this.#config = config;
  }

  async save(handle: string, session: BrowserSession): Promise<void> {
    const ttlMs = Math.max(1000, session.expiresAt - Date.now());
    const sealed = this.#config.keyRing.encrypt(JSON.stringify(session), handle);
    await Promise.all([
      this.#store.set(`session:${handle}`, sealed, ttlMs),
      this.#store.set(`sid:${session.sessionId}`, handle, ttlMs),
    ]);
  }

  async find(handle: string): Promise<BrowserSession | undefined> {
    const sealed = await this.#store.get(`session:${handle}`);
    if (sealed === undefined) return undefined;
    try {
      return JSON.parse(this.#config.keyRing.decryptToString(sealed, handle)) as BrowserSession;
    } catch {
      // Sealed under a key no longer in the ring: the browser logs in again.
      await this.#store.delete(`session:${handle}`);
      return undefined;
    }
  }

  async exists(handle: string): Promise<boolean> {
    return (await this.#store.get(`session:${handle}`)) !== undefined;
  }

  async delete(handle: string, sessionId: string): Promise<void> {
    await Promise.all([this.#store.delete(`session:${handle}`), this.#store.delete(`sid:${sessionId}`)]);
  }

  /** Ends the browser session bound to an identity session, if any. */
  async deleteBySessionId(sessionId: string): Promise<void> {
    const handle = await this.#store.get(`sid:${sessionId}`);
    if (handle !== undefined) await this.delete(handle, sessionId);
  }

  /** True at most once per interval per session: the caller then asks identity-service. */
  async revocationCheckDue(sessionId: string): Promise<boolean> {
    const interval = this.#config.revocationCheckIntervalMs;
    return interval === 0 || this.#store.setIfAbsent(`checked:${sessionId}`, '1', interval);
  }

  /** An admin-console login waiting for its MFA step (the intent outlives the request). */
  async rememberAdminChallenge(challengeId: string, ttlMs: number): Promise<void> {
    await this.#store.set(`admin-challenge:${challengeId}`, '1', ttlMs);
  }

  async takeAdminChallenge(challengeId: string): Promise<boolean> {
    const found = (await this.#store.get(`admin-challenge:${challengeId}`)) !== undefined;
    if (found) await this.#store.delete(`admin-challenge:${challengeId}`);
    return found;
  }
}
