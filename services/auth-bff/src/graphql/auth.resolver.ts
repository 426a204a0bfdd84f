import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { BrowserSessionService, type Caller } from '../services/browser-session.service.ts';
import { SelfService } from '../services/self-service.service.ts';
import { SignUpService } from '../services/sign-up.service.ts';
import { CSRF_COOKIE, randomToken, setCsrfCookie } from '../web/cookies.ts';
import { Authenticated, CurrentCaller, CurrentExchange, type GraphqlContext } from '../web/guards.ts';
import { LoginInput, LoginResult, MeView, MfaInput, SignUpInput, SignUpResult } from './types.ts';

/** Signing up, in and out. */
@Resolver()
export class AuthResolver {
  readonly #sessions: BrowserSessionService;
  readonly #self: SelfService;
  readonly #signUps: SignUpService;

  constructor(
    @Inject(BrowserSessionService) sessions: BrowserSessionService,
    @Inject(SelfService) self: SelfService,
    @Inject(SignUpService) signUps: SignUpService,
  ) {
    this.#sessions = sessions;
    this.#self = self;
    this.#signUps = signUps;
  }

  @Query(() => String, {
    description: `The CSRF token (also set as the ${CSRF_COOKIE} cookie): echo it in x-csrf-token on mutations`,
  })
  csrfToken(@CurrentExchange() exchange: GraphqlContext): string {
    const existing = exchange.req.cookies[CSRF_COOKIE];
    if (existing !== undefined && existing !== '') return existing;
    const minted = randomToken();
    setCsrfCookie(exchange.reply, minted);
    return minted;
  }

  @Mutation(() => SignUpResult, {
    description:
      'Creates a USER account; log in next (sign-up answers alike whether or not the email is taken)',
  })
  async signUp(
    @Args('input', { type: () => SignUpInput }) input: SignUpInput,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<SignUpResult> {
    return SignUpResult.of(await this.#signUps.signUp(input, exchange.req));
  }

  @Mutation(() => LoginResult)
  async login(
    @Args('input', { type: () => LoginInput }) input: LoginInput,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<LoginResult> {
    return LoginResult.of(await this.#sessions.login(input, exchange));
  }

  @Mutation(() => LoginResult, {
    description:
      'The admin console login: admin and operator accounts only; the token needs a completed MFA step',
  })
  async adminLogin(
    @Args('input', { type: () => LoginInput }) input: LoginInput,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<LoginResult> {
    return LoginResult.of(await this.#sessions.login(input, exchange, true));
  }

  @Mutation(() => LoginResult, { description: 'Finishes a login that answered MFA_REQUIRED' })
  async verifyMfa(
    @Args('input', { type: () => MfaInput }) input: MfaInput,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<LoginResult> {
    return LoginResult.of(await this.#sessions.verifyMfa(input, exchange));
  }

  @Mutation(() => MeView, { description: 'A fresh access token now (the refresh token rotates)' })
  @Authenticated()
  async refreshSession(
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<MeView> {
    const refreshed = await this.#sessions.refresh(caller, exchange);
    return MeView.of(refreshed, await this.#self.account(refreshed));
  }

  @Mutation(() => Boolean, { description: 'Ends this browser session and its identity session' })
  async logout(@CurrentExchange() exchange: GraphqlContext): Promise<boolean> {
    await this.#sessions.logout(exchange);
    return true;
  }
}
