import { type AccessTokenClaims, authenticate, type TokenVerifier } from '@girok/kit/auth';
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_VERIFIER } from '../tokens.ts';

/** The `authorization` header of a REST request, or the metadata values of a gRPC call. */
export type Authorization = string | readonly (string | Buffer)[] | undefined;

/** Who is calling: the bearer access token, verified locally against auth-service's JWKS. */
@Injectable()
export class CallerService {
  readonly #verifier: TokenVerifier;

  constructor(@Inject(TOKEN_VERIFIER) verifier: TokenVerifier) {
    this.#verifier = verifier;
  }

  authenticate(authorization: Authorization): Promise<AccessTokenClaims> {
    return authenticate(this.#verifier, authorization);
  }
}
