import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { IssueAccessTokenRequest, IssueAccessTokenResponseSchema } from '@girok/contracts/auth/v1/auth';
import type { ClientInfo } from '@girok/contracts/common/v1/common';
import { DomainError } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../config.ts';
import { SIGNING_ALGORITHM } from '../crypto/signing-key-material.ts';
import { TOKEN_TYPES, toSanction } from '../dtos/auth.dto.ts';
import { AccessRepository } from '../repositories/access.repository.ts';
import { IdentityRepository, type LiveSession } from '../repositories/identity.repository.ts';
import type { AuthDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.ts';
import { activeBan, tokenScope } from './access-decision.ts';
import { auditEvent } from './auth-events.ts';
import { banMessage } from './sanction-rules.ts';
import { SigningKeyService } from './signing-key.service.ts';
import { requireIds } from './validation.ts';

/** RFC 9068 §2.1: the media type of a JWT access token, in the `typ` header. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * The token authority: a short-lived ES256 access token for a live identity session, of the type
 * its account mode gets. Admin and operator tokens need a session that completed MFA; a banned
 * account gets none; warnings and feature restrictions travel with the token as notices.
 */
@Injectable()
export class TokenService {
  readonly #db: Kysely<AuthDatabase>;
  readonly #identity: IdentityRepository;
  readonly #access: AccessRepository;
  readonly #keys: SigningKeyService;
  readonly #config: AuthConfig;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<AuthDatabase>,
    @Inject(IdentityRepository) identity: IdentityRepository,
    @Inject(AccessRepository) access: AccessRepository,
    @Inject(SigningKeyService) keys: SigningKeyService,
    @Inject(CONFIG) config: AuthConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#identity = identity;
    this.#access = access;
    this.#keys = keys;
    this.#config = config;
    this.#clock = clock;
  }

  async issue(
    request: IssueAccessTokenRequest,
  ): Promise<MessageInitShape<typeof IssueAccessTokenResponseSchema>> {
    requireIds({ session_id: request.sessionId });
    const session = await this.#identity.liveSession(request.sessionId);
    if (session === undefined) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'SESSION_INVALID',
        'The session is revoked, expired or unknown; log in again',
      );
    }
    if (session.mode !== 'USER' && !session.mfaVerified) {
      await this.#deny(session, 'MFA_REQUIRED', request.client);
      throw new DomainError(
        'PERMISSION_DENIED',
        'MFA_REQUIRED',
        `${session.mode === 'ADMIN' ? 'Administrator' : 'Operator'} tokens need a session that completed MFA; log in with your second factor`,
      );
    }
    const now = this.#clock.now();
    const access = await this.#access.snapshot(session.accountId, now);
    const ban = activeBan(access.sanctions);
    if (ban !== undefined) {
      await this.#deny(session, 'ACCOUNT_BANNED', request.client, { sanction_id: ban.id });
      throw new DomainError('PERMISSION_DENIED', 'ACCOUNT_BANNED', banMessage(ban));
    }

    const type = TOKEN_TYPES[session.mode];
    const scope = tokenScope(access, session.mode);
    const signer = await this.#keys.signer();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + this.#config.token.accessTokenTtlSeconds;
    const accessToken = await new SignJWT({
      sid: session.sessionId,
      token_type: type.claim,
      amr: session.mfaVerified ? ['pwd', 'otp'] : ['pwd'],
      ...(session.mode === 'USER' ? {} : { scope: scope.join(' ') }),
    })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signer.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.#config.token.issuer)
      .setAudience(this.#config.token.audience)
      .setSubject(session.accountId)
      .setJti(uuidv7())
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(signer.privateKey);
    return {
      accessToken,
      tokenType: type.proto,
      expiresAt: timestampFromDate(new Date(expiresAt * 1000)),
      scope,
      notices: access.sanctionRows
        .filter((s) => s.type === 'WARNING' || s.type === 'FEATURE_RESTRICTION')
        .map(toSanction),
    };
  }

  /** A refused token is a security event: recorded on audit.event.v1 before the caller hears no. */
  async #deny(
    session: LiveSession,
    reason: string,
    client: ClientInfo | undefined,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    await appendEvents(this.#db, [
      auditEvent({
        action: 'token.issue',
        actorId: session.accountId,
        targetType: 'session',
        targetId: session.sessionId,
        result: 'DENIED',
        reason,
        client,
        now: this.#clock.now(),
        metadata: { mode: session.mode, ...metadata },
      }),
    ]);
  }
}
