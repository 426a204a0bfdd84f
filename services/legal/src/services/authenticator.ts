import {
  type AccessTokenClaims,
  authenticate,
  firstMatch,
  requirePermission,
  requireSelfOrPermission,
  type TokenVerifier,
} from '@girok/kit/auth';
import { DomainError } from '@girok/kit/errors';
import type { CallContext } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_VERIFIER } from '../tokens.ts';

/** Where the caller's bearer token comes from: a gRPC call, or a REST `authorization` header. */
export type Credentials = CallContext | string | undefined;

/** The admin permissions legal-service checks (all in auth-service's seeded catalogue). */
export const Permission = {
  documents: 'legal_document:manage',
  laws: 'law:manage',
  dsrs: 'dsr:manage',
  accounts: 'account:read',
} as const;

/**
 * Who is calling, and may they: each handler declares its rule in one call. Tokens are verified
 * locally against auth-service's JWKS (kit TokenVerifier); a missing or bad one is UNAUTHENTICATED.
 */
@Injectable()
export class Authenticator {
  readonly #verifier: TokenVerifier;

  constructor(@Inject(TOKEN_VERIFIER) verifier: TokenVerifier) {
    this.#verifier = verifier;
  }

  /** Any valid token. */
  caller(credentials: Credentials): Promise<AccessTokenClaims> {
    const header =
      typeof credentials === 'object'
        ? (credentials.metadata.get('authorization') as (string | Buffer)[])
        : credentials;
    return authenticate(this.#verifier, header);
  }

  /** A token whose scope holds `permission`. */
  async require(credentials: Credentials, permission: string): Promise<AccessTokenClaims> {
    const claims = await this.caller(credentials);
    requirePermission(claims, permission);
    return claims;
  }

  /** The account's own token, or one holding `permission`. */
  async selfOr(credentials: Credentials, accountId: string, permission: string): Promise<AccessTokenClaims> {
    const claims = await this.caller(credentials);
    requireSelfOrPermission(claims, accountId, permission);
    return claims;
  }

  /** The account's own token only: nobody consents on someone else's behalf. */
  async self(credentials: Credentials, accountId: string): Promise<AccessTokenClaims> {
    const claims = await this.caller(credentials);
    if (claims.sub !== accountId) {
      throw new DomainError(
        'PERMISSION_DENIED',
        'NOT_OWN_ACCOUNT',
        'Consents are given and withdrawn by the account itself',
      );
    }
    return claims;
  }
}

/** Whether the caller holds `permission` (for answers that differ by role rather than refuse). */
export function holds(claims: AccessTokenClaims, permission: string): boolean {
  return firstMatch(claims.scope, permission) !== undefined;
}
