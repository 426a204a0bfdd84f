import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CreateSanctionRequest,
  CreateSanctionResponseSchema,
  ListSanctionsRequest,
  ListSanctionsResponseSchema,
  RevokeSanctionRequest,
  RevokeSanctionResponseSchema,
} from '@girok/contracts/auth/v1/auth';
import { assertThat, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import type { Logger } from '@girok/kit/logging';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { sanctionTypeFromProto, toSanction } from '../dtos/auth.dto.ts';
import { IdentityRepository } from '../repositories/identity.repository.ts';
import { SanctionRepository, type SanctionRow } from '../repositories/sanction.repository.ts';
import type { AuthDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE, LOGGER } from '../tokens.ts';
import { AuthEvents, auditEvent } from './auth-events.ts';
import { checkNewSanction, isBan } from './sanction-rules.ts';
import { checkId, checkOptionalId, optionalDate, pageSize, pageToken, requireIds } from './validation.ts';

/**
 * Warnings, temporary and permanent bans, feature restrictions. A ban refuses tokens from the moment
 * it starts and ends the account's live sessions in identity-service, so nobody stays signed in on a
 * refresh token either.
 */
@Injectable()
export class SanctionService {
  readonly #db: Kysely<AuthDatabase>;
  readonly #sanctions: SanctionRepository;
  readonly #identity: IdentityRepository;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    @Inject(DATABASE) db: Kysely<AuthDatabase>,
    @Inject(SanctionRepository) sanctions: SanctionRepository,
    @Inject(IdentityRepository) identity: IdentityRepository,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#db = db;
    this.#sanctions = sanctions;
    this.#identity = identity;
    this.#clock = clock;
    this.#logger = logger.child({ component: 'sanctions' });
  }

  async create(
    request: CreateSanctionRequest,
  ): Promise<MessageInitShape<typeof CreateSanctionResponseSchema>> {
    const now = this.#clock.now();
    const type = sanctionTypeFromProto(request.type);
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    checkOptionalId(v, 'actor_id', request.actorId);
    const startsAt = optionalDate(v, 'starts_at', request.startsAt) ?? now;
    const endsAt = optionalDate(v, 'ends_at', request.endsAt);
    const features = checkNewSanction(
      { type, reason: request.reason, features: request.features, startsAt, endsAt },
      now,
      v,
    );
    v.throwIfAny();
    const sanction = await this.#db.transaction().execute(async (tx) => {
      const row = await this.#sanctions.insert(
        {
          id: uuidv7(),
          account_id: request.accountId,
          type: type ?? 'WARNING',
          reason: request.reason.trim(),
          features,
          starts_at: startsAt,
          ends_at: endsAt ?? null,
          issued_by: request.actorId || null,
          created_at: now,
        },
        tx,
      );
      await appendEvents(tx, [
        AuthEvents.sanction('created', row),
        this.#audit('sanction.create', row, request.actorId, now),
      ]);
      return row;
    });
    if (isBan(sanction.type) && sanction.starts_at <= now) await this.#endSessions(sanction);
    return { sanction: toSanction(sanction) };
  }

  async list(request: ListSanctionsRequest): Promise<MessageInitShape<typeof ListSanctionsResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    const token = request.page?.pageToken ?? '';
    const beforeId = token === '' ? undefined : Buffer.from(token, 'base64url').toString();
    if (beforeId !== undefined) checkId(v, 'page.page_token', beforeId);
    v.throwIfAny();
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#sanctions.list({
      accountId: request.accountId,
      limit: limit + 1,
      ...(request.activeOnly ? { inForceAt: this.#clock.now() } : {}),
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    const page = rows.slice(0, limit);
    return {
      sanctions: page.map(toSanction),
      page: { nextPageToken: rows.length > limit ? pageToken(page.at(-1)?.id) : '' },
    };
  }

  async revoke(
    request: RevokeSanctionRequest,
  ): Promise<MessageInitShape<typeof RevokeSanctionResponseSchema>> {
    requireIds({ sanction_id: request.sanctionId }, { actor_id: request.actorId });
    new Violations()
      .check(request.reason.length <= 500, 'reason', 'must be at most 500 characters')
      .throwIfAny();
    const existing = await this.#sanctions.findById(request.sanctionId);
    assertThat(existing, 'NOT_FOUND', 'SANCTION_NOT_FOUND', 'No such sanction');
    if (existing.revoked_at !== null) return { sanction: toSanction(existing) };
    const sanction = await this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const revoked = await this.#sanctions.revoke(
        existing.id,
        { actorId: request.actorId || null, reason: request.reason.trim() },
        now,
        tx,
      );
      // Revoked meanwhile by someone else: theirs is the one revocation (and the one event).
      if (revoked === undefined) return (await this.#sanctions.findById(existing.id, tx)) ?? existing;
      await appendEvents(tx, [
        AuthEvents.sanction('revoked', revoked),
        this.#audit('sanction.revoke', revoked, request.actorId, now),
      ]);
      return revoked;
    });
    return { sanction: toSanction(sanction) };
  }

  /**
   * After the ban commits: end the account's live sessions in identity-service. If identity is down
   * the ban still stands — token issue refuses the account anyway — so this only logs.
   */
  async #endSessions(sanction: SanctionRow): Promise<void> {
    try {
      const revoked = await this.#identity.revokeAllSessions(sanction.account_id);
      this.#logger.info({ sanctionId: sanction.id, revokedSessions: revoked }, 'ban ended live sessions');
    } catch (error) {
      this.#logger.warn(
        { err: error, sanctionId: sanction.id, accountId: sanction.account_id },
        'ban recorded, but the live sessions could not be revoked in identity-service',
      );
    }
  }

  #audit(action: string, sanction: SanctionRow, actorId: string, now: Date) {
    return auditEvent({
      action,
      actorId,
      targetType: 'account',
      targetId: sanction.account_id,
      result: 'SUCCESS',
      reason: sanction.type,
      now,
      metadata: {
        sanction_id: sanction.id,
        type: sanction.type,
        ...(sanction.ends_at === null ? {} : { ends_at: sanction.ends_at.toISOString() }),
      },
    });
  }
}
