import {
  AuthService,
  type IssueAccessTokenRequest,
  type ListSigningKeysRequest,
  type RetireSigningKeyRequest,
  type RotateSigningKeyRequest,
} from '@girok/contracts/auth/v1/auth';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SigningKeyService } from '../services/signing-key.service.ts';
import { TokenService } from '../services/token.service.ts';

const rpc = AuthService.method;

@Controller('v1')
export class TokensController {
  readonly #tokens: TokenService;
  readonly #keys: SigningKeyService;

  constructor(
    @Inject(TokenService) tokens: TokenService,
    @Inject(SigningKeyService) keys: SigningKeyService,
  ) {
    this.#tokens = tokens;
    this.#keys = keys;
  }

  @RestRpc('POST', 'access-tokens', rpc.issueAccessToken, {
    summary: 'Issue an access token for a live session',
  })
  issue(@RpcRequest() request: IssueAccessTokenRequest) {
    return this.#tokens.issue(request);
  }

  @RestRpc('GET', 'jwks', rpc.getJwks, { summary: 'The JWKS document, as a string field' })
  jwks() {
    return this.#keys.getJwks();
  }

  @RestRpc('GET', 'signing-keys', rpc.listSigningKeys, {
    summary: 'List the signing keys (no private parts)',
  })
  listKeys(@RpcRequest() request: ListSigningKeysRequest) {
    return this.#keys.list(request);
  }

  @RestRpc('POST', 'signing-keys/rotate', rpc.rotateSigningKey, { summary: 'Rotate the signing key now' })
  rotate(@RpcRequest() request: RotateSigningKeyRequest) {
    return this.#keys.rotate(request);
  }

  @RestRpc('POST', 'signing-keys/:kid/retire', rpc.retireSigningKey, {
    summary: 'Unpublish a previous signing key',
  })
  retire(@RpcRequest() request: RetireSigningKeyRequest) {
    return this.#keys.retire(request);
  }
}

/** RFC 8414 / OIDC discovery location of the key set every verifier fetches (kit TokenVerifier). */
@Controller('.well-known')
export class WellKnownController {
  readonly #keys: SigningKeyService;

  constructor(@Inject(SigningKeyService) keys: SigningKeyService) {
    this.#keys = keys;
  }

  @Get('jwks.json')
  // Short: verifiers must see a rotated key soon (they also refetch on an unknown kid, after a cooldown).
  @Header('cache-control', 'public, max-age=60')
  jwks() {
    return this.#keys.jwks();
  }
}
