import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SigningKeyService } from '../services/signing-key.service.ts';

/**
 * The one route that is no RPC's face: RFC 8414 / OIDC discovery's location of the key set every
 * verifier fetches (the kit's TokenVerifier, auth-service's own included).
 */
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
