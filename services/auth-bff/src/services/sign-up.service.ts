import { AccountMode } from '@girok/contracts/identity/v1/identity';
import { type KeyValueStore, RateLimiter } from '@girok/kit/cache';
import { assertThat, DomainError } from '@girok/kit/errors';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { BffConfig } from '../config.ts';
import { CONFIG, IDENTITY, type IdentityClient, KV_STORE } from '../tokens.ts';
import { addressBlock } from '../web/client-address.ts';
import { clientInfoWithoutCookies } from '../web/cookies.ts';
import { LegalFlowsService } from './legal-flows.service.ts';

export interface SignUp {
  readonly email: string;
  readonly username: string;
  readonly password: string;
  readonly locale: string;
  readonly country: string;
  readonly displayName: string;
  /** Ids of the documents accepted on the sign-up form: every required one of the country. */
  readonly consents: readonly string[];
}

const MAX_CONSENTS = 32;

/** The one answer every accepted sign-up gets: the client logs in next. */
export type SignUpStatus = 'SIGNED_UP';

/**
 * Sign-up answers the same whether or not the email already has an account: identity-service
 * answers a taken email as if it created one (and tells the owner), and this service neither signs
 * in nor returns the account id, so nothing in the answer differs. Attempts are limited per client
 * address, as each one costs a password hash and says whether a username is free.
 */
@Injectable()
export class SignUpService {
  readonly #identity: IdentityClient;
  readonly #legal: LegalFlowsService;
  readonly #limiter: RateLimiter;
  readonly #config: BffConfig;

  constructor(
    @Inject(IDENTITY) identity: IdentityClient,
    @Inject(LegalFlowsService) legal: LegalFlowsService,
    @Inject(KV_STORE) store: KeyValueStore,
    @Inject(CONFIG) config: BffConfig,
  ) {
    this.#identity = identity;
    this.#legal = legal;
    this.#limiter = new RateLimiter(store);
    this.#config = config;
  }

  /**
   * Creates the account only when every document its country requires is accepted; the consents
   * are recorded on its first login (see LegalFlowsService.recordParked).
   */
  async signUp(input: SignUp, request: FastifyRequest): Promise<SignUpStatus> {
    await this.#checkRateLimit(request.clientAddress);
    const { consents: given, ...account } = input;
    const consents = [...new Set(given)];
    // What is parked for a day under any id sign-up answers must stay small.
    assertThat(
      consents.length <= MAX_CONSENTS && consents.every((id) => id.length <= 64),
      'INVALID_ARGUMENT',
      'TOO_MANY_CONSENTS',
      `Accept at most ${MAX_CONSENTS} documents at sign-up`,
      { fieldViolations: [{ field: 'consents', description: `at most ${MAX_CONSENTS} document ids` }] },
    );
    await this.#legal.assertAccepted(input.country, input.locale, consents);
    const client = clientInfoWithoutCookies(request);
    const { account: created } = await this.#identity.createAccount({
      ...account,
      mode: AccountMode.USER,
      client,
    });
    if (created === undefined)
      throw new DomainError('INTERNAL', 'SIGN_UP_FAILED', 'Sign-up returned nothing');
    // Parked under the id whether or not an account has it: an unused id never logs in, and the
    // entry expires; skipping it would make a taken email's sign-up do less work.
    await this.#legal.park(created.id, consents, client);
    return 'SIGNED_UP';
  }

  async #checkRateLimit(address: string): Promise<void> {
    const { perIp, windowMs } = this.#config.signUpRateLimit;
    const decision = await this.#limiter.consume([
      { key: `signup:ip:${addressBlock(address)}`, rule: { limit: perIp, windowMs } },
    ]);
    if (!decision.allowed) {
      throw new DomainError('RESOURCE_EXHAUSTED', 'RATE_LIMITED', 'Too many sign-ups; wait and try again', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
  }
}
