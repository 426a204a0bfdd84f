import type { IdentityService } from '@girok/contracts/identity/v1/identity';
import { DomainError } from '@girok/kit/errors';
import type { GrpcClient } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { IDENTITY_CLIENT } from '../tokens.ts';

/** identity-service over gRPC: where an account lives is identity's to say. */
@Injectable()
export class IdentityRepository {
  readonly #identity: GrpcClient<typeof IdentityService>;

  constructor(@Inject(IDENTITY_CLIENT) identity: GrpcClient<typeof IdentityService>) {
    this.#identity = identity;
  }

  /** The account's ISO 3166-1 country ('' when it has none); NOT_FOUND when there is no such account. */
  async countryOf(accountId: string): Promise<string> {
    try {
      const { account } = await this.#identity.getAccount({ accountId });
      return account?.country ?? '';
    } catch (error) {
      // identity refusing legal-service's own workload credential is our fault, never the caller's:
      // passed through it would tell a caller holding a valid token to send one.
      if (
        error instanceof DomainError &&
        (error.kind === 'UNAUTHENTICATED' || error.kind === 'PERMISSION_DENIED')
      ) {
        throw new DomainError(
          'INTERNAL',
          'WORKLOAD_CREDENTIAL_REFUSED',
          'identity-service refused legal-service as a caller',
          { cause: error },
        );
      }
      throw error;
    }
  }
}
