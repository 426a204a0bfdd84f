import { Inject } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Caller } from '../services/browser-session.service.ts';
import { SelfService } from '../services/self-service.service.ts';
import { Authenticated, CurrentCaller, CurrentExchange, type GraphqlContext } from '../web/guards.ts';
import { ChangePasswordInput, DeviceView, MeView, SessionView, TotpEnrollmentView } from './types.ts';

/** The signed-in user's own account, sessions, devices, password and MFA. */
@Resolver()
export class AccountResolver {
  readonly #self: SelfService;

  constructor(@Inject(SelfService) self: SelfService) {
    this.#self = self;
  }

  @Query(() => MeView)
  @Authenticated({ allowRestricted: true })
  async me(@CurrentCaller() caller: Caller): Promise<MeView> {
    return MeView.of(caller, await this.#self.account(caller));
  }

  @Query(() => [SessionView])
  @Authenticated()
  async sessions(@CurrentCaller() caller: Caller): Promise<SessionView[]> {
    return (await this.#self.sessions(caller)).map((s) => SessionView.of(s, caller.session.sessionId));
  }

  @Query(() => [DeviceView])
  @Authenticated()
  async devices(@CurrentCaller() caller: Caller): Promise<DeviceView[]> {
    return (await this.#self.devices(caller)).map((d) => DeviceView.of(d));
  }

  @Mutation(() => Boolean, { description: 'Ends one of your sessions (this one included)' })
  @Authenticated()
  async revokeSession(
    @Args('id', { type: () => ID }) id: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<boolean> {
    await this.#self.revokeSession(caller, id, exchange);
    return true;
  }

  @Mutation(() => Int, { description: 'Ends every session but this one; returns how many' })
  @Authenticated()
  revokeOtherSessions(
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<number> {
    return this.#self.revokeOtherSessions(caller, exchange);
  }

  @Mutation(() => DeviceView)
  @Authenticated()
  async trustDevice(
    @Args('id', { type: () => ID }) id: string,
    @Args('trusted', { type: () => Boolean }) trusted: boolean,
    @CurrentCaller() caller: Caller,
  ): Promise<DeviceView> {
    return DeviceView.of(await this.#self.trustDevice(caller, id, trusted));
  }

  @Mutation(() => Int, { description: 'Forgets a device and ends its sessions; returns how many' })
  @Authenticated()
  revokeDevice(
    @Args('id', { type: () => ID }) id: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<number> {
    return this.#self.revokeDevice(caller, id, exchange);
  }

  @Mutation(() => Int, { description: 'Every other session ends; returns how many' })
  @Authenticated()
  changePassword(
    @Args('input', { type: () => ChangePasswordInput }) input: ChangePasswordInput,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<number> {
    return this.#self.changePassword(caller, input, exchange);
  }

  @Mutation(() => TotpEnrollmentView)
  @Authenticated({ allowRestricted: true })
  async beginTotpEnrollment(@CurrentCaller() caller: Caller): Promise<TotpEnrollmentView> {
    return Object.assign(new TotpEnrollmentView(), await this.#self.beginTotpEnrollment(caller));
  }

  @Mutation(() => [String], { description: 'Confirms the authenticator; returns ten one-time backup codes' })
  @Authenticated({ allowRestricted: true })
  confirmTotpEnrollment(
    @Args('code', { type: () => String }) code: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<string[]> {
    return this.#self.confirmTotpEnrollment(caller, code, exchange);
  }

  @Mutation(() => [String], { description: 'Replaces the backup codes; needs a current TOTP code' })
  @Authenticated()
  regenerateBackupCodes(
    @Args('code', { type: () => String }) code: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<string[]> {
    return this.#self.regenerateBackupCodes(caller, code, exchange);
  }

  @Mutation(() => Boolean)
  @Authenticated()
  async disableMfa(
    @Args('code', { type: () => String }) code: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<boolean> {
    await this.#self.disableMfa(caller, code, exchange);
    return true;
  }
}
