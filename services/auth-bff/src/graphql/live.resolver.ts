import { DomainError } from '@girok/kit/errors';
import { Inject } from '@nestjs/common';
import { Args, Context, Resolver, Subscription } from '@nestjs/graphql';
import { LiveSessionHub, type SessionChange } from '../live/live-session.hub.ts';
import type { SocketContext } from '../live/socket.gateway.ts';
import { SessionChangeView } from './types.ts';

/** The live session stream as a GraphQL subscription (graphql-ws on /graphql). */
@Resolver()
export class LiveResolver {
  readonly #hub: LiveSessionHub;

  constructor(@Inject(LiveSessionHub) hub: LiveSessionHub) {
    this.#hub = hub;
  }

  @Subscription(() => SessionChangeView, {
    description:
      'Your sessions and devices as they change; platform: true for every account (session:read_all)',
    resolve: (change: SessionChange, _args: unknown, context: SocketContext): SessionChangeView =>
      Object.assign(new SessionChangeView(), {
        ...change,
        occurredAt: new Date(change.occurredAt),
        current: change.sessionId === context.socket.session.sessionId,
      }),
  })
  async sessionChanges(
    @Args('platform', { type: () => Boolean, defaultValue: false }) platform: boolean,
    @Context() context: SocketContext,
  ): Promise<AsyncIterable<SessionChange>> {
    const caller = context.socket;
    if (caller === undefined)
      throw new DomainError('UNAUTHENTICATED', 'SESSION_REQUIRED', 'Subscribe over the /graphql WebSocket');
    const accountId = caller.session.accountId;
    if (platform) await this.#hub.requirePlatformView(accountId);
    return this.#hub.stream((listener) =>
      platform ? this.#hub.watchPlatform(accountId, listener) : this.#hub.watchAccount(accountId, listener),
    );
  }
}
