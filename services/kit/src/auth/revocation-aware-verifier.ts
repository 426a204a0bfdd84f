import { DomainError } from '../errors/domain-error.ts';
import type { SessionRevocations } from './session-revocations.ts';
import type { AccessTokenClaims } from './token-verifier.ts';

/**
 * A token verifier that also refuses the tokens of revoked sessions (and of deleted accounts)
 * that `revocations` learnt of, though their signature and expiry still hold.
 */
export class RevocationAwareVerifier {
  readonly #verifier: { verify(token: string): Promise<AccessTokenClaims> };
  readonly #revocations: SessionRevocations;

  constructor(
    verifier: { verify(token: string): Promise<AccessTokenClaims> },
    revocations: SessionRevocations,
  ) {
    this.#verifier = verifier;
    this.#revocations = revocations;
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const claims = await this.#verifier.verify(token);
    if (this.#revocations.isRevoked(claims)) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'SESSION_REVOKED',
        'The session of this access token has ended; log in again',
      );
    }
    return claims;
  }
}
