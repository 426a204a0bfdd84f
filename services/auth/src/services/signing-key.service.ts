import type { KeyObject } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  GetJwksResponseSchema,
  ListSigningKeysRequest,
  ListSigningKeysResponseSchema,
  RetireSigningKeyRequest,
  RetireSigningKeyResponseSchema,
  RotateSigningKeyRequest,
  RotateSigningKeyResponseSchema,
} from '@girok/contracts/auth/v1/auth';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import { appendEvents, type OutboxEventInput } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../config.ts';
import {
  generateSigningKey,
  importPrivateKey,
  publishedJwk,
  SIGNING_ALGORITHM,
} from '../crypto/signing-key-material.ts';
import { toSigningKey } from '../dtos/auth.dto.ts';
import type { Executor } from '../repositories/executor.ts';
import { SigningKeyRepository, type SigningKeyRow } from '../repositories/signing-key.repository.ts';
import type { AuthDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, LOGGER } from '../tokens.ts';
import { auditEvent } from './auth-events.ts';
import { checkOptionalId } from './validation.ts';

/** The key new tokens are signed with. */
export interface Signer {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface JwksDocument {
  readonly keys: readonly ReturnType<typeof publishedJwk>[];
}

interface KeyCache {
  readonly loadedAt: number;
  readonly signer: Signer;
  readonly jwks: JwksDocument;
  readonly jwksJson: string;
}

/** A PREVIOUS key is retired this long after its tokens (TTL) can no longer be valid. */
const RETIRE_MARGIN_MS = 5 * 60_000;

/**
 * The token signing keys' lifecycle — NEXT → ACTIVE → PREVIOUS → RETIRED (ADR 0010) — and each
 * replica's short-lived copy of the active key and the JWKS. Every change runs under one advisory lock, and
 * the partial unique index on ACTIVE makes "exactly one active key" hold whatever happens.
 */
@Injectable()
export class SigningKeyService {
  readonly #db: Kysely<AuthDatabase>;
  readonly #keys: SigningKeyRepository;
  readonly #config: AuthConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Decrypted private keys by kid: decrypting is cheap, but not on every token. */
  readonly #privateKeys = new Map<string, KeyObject>();
  #cache: KeyCache | undefined;
  #loading: Promise<KeyCache> | undefined;
  /** Loads are numbered: a slow load that started before a rotation never overwrites a newer copy. */
  #loadsStarted = 0;
  #cachedLoad = 0;

  constructor(
    @Inject(DATABASE) db: Kysely<AuthDatabase>,
    @Inject(SigningKeyRepository) keys: SigningKeyRepository,
    @Inject(CONFIG) config: AuthConfig,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#db = db;
    this.#keys = keys;
    this.#config = config;
    this.#clock = clock;
    this.#logger = logger.child({ component: 'signing-keys' });
  }

  /** The active key, from this replica's copy when it is fresh (at most `signingKeys.cacheMs` old). */
  async signer(): Promise<Signer> {
    return (await this.#current()).signer;
  }

  async jwks(): Promise<JwksDocument> {
    return (await this.#current()).jwks;
  }

  async getJwks(): Promise<MessageInitShape<typeof GetJwksResponseSchema>> {
    return { jwksJson: (await this.#current()).jwksJson };
  }

  async list(
    request: ListSigningKeysRequest,
  ): Promise<MessageInitShape<typeof ListSigningKeysResponseSchema>> {
    const rows = await this.#keys.list(request.includeRetired);
    return { keys: rows.map(toSigningKey) };
  }

  /**
   * The NEXT key signs from now on and a new NEXT is published; the old one stays published
   * (PREVIOUS) so its tokens keep verifying.
   */
  async rotate(
    request: RotateSigningKeyRequest,
  ): Promise<MessageInitShape<typeof RotateSigningKeyResponseSchema>> {
    const v = new Violations();
    checkOptionalId(v, 'actor_id', request.actorId);
    v.throwIfAny();
    const { active, previous } = await this.#db.transaction().execute(async (tx) => {
      await this.#keys.lock(tx);
      return this.#rotateIn(tx, request.actorId, 'request');
    });
    await this.#reload();
    return {
      active: toSigningKey(active),
      previous: previous === undefined ? undefined : toSigningKey(previous),
    };
  }

  /** Takes a PREVIOUS key out of the JWKS: the tokens it signed stop verifying. */
  async retire(
    request: RetireSigningKeyRequest,
  ): Promise<MessageInitShape<typeof RetireSigningKeyResponseSchema>> {
    const v = new Violations();
    v.check(request.kid !== '' && request.kid.length <= 128, 'kid', 'must be the kid of a signing key');
    checkOptionalId(v, 'actor_id', request.actorId);
    v.throwIfAny();
    const key = await this.#db.transaction().execute(async (tx) => {
      await this.#keys.lock(tx);
      const found = await this.#keys.findByKid(request.kid, tx);
      assertThat(found, 'NOT_FOUND', 'SIGNING_KEY_NOT_FOUND', 'No signing key has this kid');
      assertThat(
        found.status !== 'ACTIVE',
        'FAILED_PRECONDITION',
        'SIGNING_KEY_ACTIVE',
        'The active signing key cannot be retired; rotate first, then retire it as the previous key',
      );
      assertThat(
        found.status !== 'NEXT',
        'FAILED_PRECONDITION',
        'SIGNING_KEY_NEXT',
        'The next signing key has signed nothing yet; it becomes active at the next rotation',
      );
      if (found.status === 'RETIRED') return found;
      const now = this.#clock.now();
      const [retired] = await this.#keys.retire({ kid: found.kid }, now, tx);
      if (retired === undefined) return found;
      await appendEvents(tx, [this.#audit('signing_key.retire', retired, now, request.actorId, 'request')]);
      return retired;
    });
    await this.#load();
    return { key: toSigningKey(key) };
  }

  /**
   * What each replica runs at start-up and on its timer: creates the first key, rotates the active
   * key once it is older than the rotation period, and retires previous keys once every token they
   * signed has expired (TTL + 5 minutes after they were rotated out). Idempotent across replicas.
   */
  async maintain(): Promise<void> {
    if (await this.#maintainKeys()) await this.#load();
  }

  /** `maintain` without refreshing this replica's copy; true when a key changed. */
  #maintainKeys(): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      await this.#keys.lock(tx);
      const now = this.#clock.now();
      const active = await this.#keys.findActive(tx);
      let changes = 0;
      if (active === undefined) {
        await this.#rotateIn(tx, '', 'bootstrap');
        changes += 1;
      } else if (
        now.getTime() - (active.activated_at ?? active.created_at).getTime() >=
        this.#config.signingKeys.rotationMs
      ) {
        await this.#rotateIn(tx, '', 'schedule');
        changes += 1;
      }
      if (await this.#ensureNext(tx, now)) changes += 1;
      const ttlMs = this.#config.token.accessTokenTtlSeconds * 1000;
      const retired = await this.#keys.retire(
        { rotatedOutBefore: new Date(now.getTime() - ttlMs - RETIRE_MARGIN_MS) },
        now,
        tx,
      );
      await appendEvents(
        tx,
        retired.map((key) => this.#audit('signing_key.retire', key, now, '', 'schedule')),
      );
      return changes + retired.length > 0;
    });
  }

  async #rotateIn(
    tx: Executor,
    actorId: string,
    trigger: 'request' | 'schedule' | 'bootstrap',
  ): Promise<{ active: SigningKeyRow; previous: SigningKeyRow | undefined }> {
    const now = this.#clock.now();
    const current = await this.#keys.findActive(tx);
    const previous = current === undefined ? undefined : await this.#keys.markPrevious(current.kid, now, tx);
    // The NEXT key has been in the JWKS since the last rotation: verifiers already know it.
    const active =
      (await this.#keys.promoteNext(now, tx)) ??
      (await this.#keys.insert('ACTIVE', await this.#newKey(now), tx));
    await this.#ensureNext(tx, now);
    // Under the advisory lock nobody else can have inserted one; the index would say so if they had.
    if (active === undefined)
      throw new DomainError('INTERNAL', 'SIGNING_KEY_RACE', 'Another active key appeared');
    const events: OutboxEventInput[] = [
      this.#audit('signing_key.rotate', active, now, actorId, trigger, previous),
    ];
    await appendEvents(tx, events);
    this.#logger.info({ kid: active.kid, previousKid: previous?.kid, trigger }, 'signing key rotated');
    return { active, previous };
  }

  /** A NEXT key to publish ahead of the next rotation, unless there is one. */
  async #ensureNext(tx: Executor, now: Date): Promise<boolean> {
    if ((await this.#keys.findNext(tx)) !== undefined) return false;
    return (await this.#keys.insert('NEXT', await this.#newKey(now), tx)) !== undefined;
  }

  async #newKey(now: Date) {
    const material = await generateSigningKey();
    return {
      kid: material.kid,
      algorithm: SIGNING_ALGORITHM,
      public_jwk: JSON.stringify(material.publicJwk),
      private_key_encrypted: this.#config.keyRing.encrypt(material.privateJwkJson, material.kid),
      created_at: now,
    };
  }

  #audit(
    action: string,
    key: SigningKeyRow,
    now: Date,
    actorId: string,
    trigger: string,
    previous?: SigningKeyRow,
  ): OutboxEventInput {
    return auditEvent({
      action,
      actorId,
      targetType: 'signing_key',
      targetId: key.kid,
      result: 'SUCCESS',
      now,
      metadata: { trigger, ...(previous === undefined ? {} : { previous_kid: previous.kid }) },
    });
  }

  async #current(): Promise<KeyCache> {
    const cache = this.#cache;
    if (cache !== undefined && Date.now() - cache.loadedAt < this.#config.signingKeys.cacheMs) return cache;
    return this.#reload();
  }

  /** Loads the published keys once for every caller waiting at the same moment. */
  #reload(): Promise<KeyCache> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Reads the keys now (a change made here calls it directly, not joining a load already under way). */
  async #load(): Promise<KeyCache> {
    this.#loadsStarted += 1;
    const load = this.#loadsStarted;
    let published = await this.#keys.findPublished();
    if (!published.some((key) => key.status === 'ACTIVE')) {
      // Only before the first maintenance ran, or if someone deleted the key by hand.
      await this.#maintainKeys();
      published = await this.#keys.findPublished();
    }
    const active = published.find((key) => key.status === 'ACTIVE');
    if (active === undefined) {
      throw new DomainError('UNAVAILABLE', 'NO_SIGNING_KEY', 'No signing key is available; retry shortly', {
        retryAfterSeconds: 1,
      });
    }
    let privateKey = this.#privateKeys.get(active.kid);
    if (privateKey === undefined) {
      privateKey = importPrivateKey(
        this.#config.keyRing.decryptToString(active.private_key_encrypted, active.kid),
      );
      this.#privateKeys.clear(); // only the active key is ever needed
      this.#privateKeys.set(active.kid, privateKey);
    }
    const jwks: JwksDocument = { keys: published.map((key) => publishedJwk(key.kid, key.public_jwk)) };
    const cache: KeyCache = {
      loadedAt: Date.now(),
      signer: { kid: active.kid, privateKey },
      jwks,
      jwksJson: JSON.stringify(jwks),
    };
    if (load > this.#cachedLoad) {
      this.#cache = cache;
      this.#cachedLoad = load;
    }
    return cache;
  }
}
