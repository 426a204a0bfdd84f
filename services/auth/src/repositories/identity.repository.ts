import type { ClientInfo } from '@girok/contracts/common/v1/common';
import { AccountMode, type IdentityService, type Session } from '@girok/contracts/identity/v1/identity';
import type { GrpcClient } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { IDENTITY_CLIENT } from '../tokens.ts';

export type AccountModeValue = 'USER' | 'ADMIN' | 'OPERATOR';

/** A live identity session, as far as token issue needs it. */
export interface LiveSession {
  readonly sessionId: string;
  readonly accountId: string;
  readonly mode: AccountModeValue;
  readonly mfaVerified: boolean;
}

const MODES = new Map<AccountMode, AccountModeValue>([
  [AccountMode.USER, 'USER'],
  [AccountMode.ADMIN, 'ADMIN'],
  [AccountMode.OPERATOR, 'OPERATOR'],
]);

/**
 * identity-service over gRPC (the kit's client: deadline, retry with jitter, circuit breaker).
 * auth-service never sees a password: who the caller is comes from identity's session.
 */
@Injectable()
export class IdentityRepository {
  readonly #client: GrpcClient<typeof IdentityService>;

  constructor(@Inject(IDENTITY_CLIENT) client: GrpcClient<typeof IdentityService>) {
    this.#client = client;
  }

  /** The session when it is live (not revoked, not expired, account not deleted); else undefined. */
  async liveSession(sessionId: string): Promise<LiveSession | undefined> {
    const response = await this.#client.validateSession({ sessionId });
    const session: Session | undefined = response.session;
    if (!response.valid || session === undefined) return undefined;
    return {
      sessionId: session.id,
      accountId: session.accountId,
      // An unknown mode gets the least privilege.
      mode: MODES.get(session.mode) ?? 'USER',
      mfaVerified: session.mfaVerified,
    };
  }

  /** Ends every session of the account now; returns how many were live. */
  async revokeAllSessions(accountId: string, client?: ClientInfo): Promise<number> {
    const response = await this.#client.revokeAllSessions({
      accountId,
      ...(client === undefined ? {} : { client }),
    });
    return response.revokedSessions;
  }
}
