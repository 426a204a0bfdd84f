import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfoSchema } from '@girok/contracts/common/v1/common';
import type { KeyValueStore } from '@girok/kit/cache';
import { Inject, Injectable } from '@nestjs/common';
import type { BffConfig } from '../config.ts';
import { CONFIG, KV_STORE } from '../tokens.ts';

/** The consents given on a sign-up form, and where they were given, until the account logs in. */
export interface ParkedConsents {
  readonly documentIds: readonly string[];
  readonly client: MessageInitShape<typeof ClientInfoSchema>;
}

/**
 * A day to log in for the first time. Sign-up answers an id whether or not it created the account,
 * so entries under ids no account has are never taken: they must expire on their own.
 */
const PARKED_TTL_MS = 24 * 60 * 60_000;

/**
 * Consents accepted at sign-up, kept (encrypted, bound to the account id) in Valkey — in memory in
 * local mode — under `consents:<account id>` until that account's first login records them.
 */
@Injectable()
export class ParkedConsentRepository {
  readonly #store: KeyValueStore;
  readonly #config: BffConfig;

  constructor(@Inject(KV_STORE) store: KeyValueStore, @Inject(CONFIG) config: BffConfig) {
    this.#store = store;
    this.#config = config;
  }

  async park(accountId: string, consents: ParkedConsents): Promise<void> {
    const sealed = this.#config.keyRing.encrypt(JSON.stringify(consents), accountId);
    await this.#store.set(`consents:${accountId}`, sealed, PARKED_TTL_MS);
  }

  async find(accountId: string): Promise<ParkedConsents | undefined> {
    const sealed = await this.#store.get(`consents:${accountId}`);
    if (sealed === undefined) return undefined;
    try {
      return JSON.parse(this.#config.keyRing.decryptToString(sealed, accountId)) as ParkedConsents;
    } catch {
      // Sealed under a key no longer in the ring: the login's consent check asks for them again.
      await this.delete(accountId);
      return undefined;
    }
  }

  async delete(accountId: string): Promise<void> {
    await this.#store.delete(`consents:${accountId}`);
  }
}
