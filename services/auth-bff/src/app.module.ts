import type { TokenVerifier } from '@girok/kit/auth';
import type { KeyValueStore, PubSub } from '@girok/kit/cache';
import type { Logger } from '@girok/kit/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { BffConfig } from './config.ts';
import { AccountResolver } from './graphql/account.resolver.ts';
import { AdminResolver } from './graphql/admin.resolver.ts';
import { AuthResolver } from './graphql/auth.resolver.ts';
import { graphqlErrorFormatter, graphqlErrorReply } from './graphql/graphql-errors.ts';
import { LegalResolver } from './graphql/legal.resolver.ts';
import { LiveResolver } from './graphql/live.resolver.ts';
import { graphqlRules } from './graphql/query-limits.ts';
import { LiveSessionHub } from './live/live-session.hub.ts';
import { SessionEventsConsumer } from './live/session-events.consumer.ts';
import { BrowserSessionRepository } from './repositories/browser-session.repository.ts';
import { ParkedConsentRepository } from './repositories/parked-consent.repository.ts';
import { AdminAuditService } from './services/admin-audit.service.ts';
import { BrowserSessionService } from './services/browser-session.service.ts';
import { LegalFlowsService } from './services/legal-flows.service.ts';
import { SelfService } from './services/self-service.service.ts';
import { SignUpService } from './services/sign-up.service.ts';
import {
  AUDIT,
  AUTH,
  type AuditClient,
  type AuthClient,
  CONFIG,
  IDENTITY,
  type IdentityClient,
  KV_STORE,
  LEGAL,
  type LegalClient,
  LOGGER,
  PUB_SUB,
  TOKEN_VERIFIER,
} from './tokens.ts';
import { CsrfGuard, SessionGuard } from './web/guards.ts';
import { graphqlRouteErrorHandler } from './web/transport.hooks.ts';

/** What the module needs from outside: built once at start-up by `startAuthBff`. */
export interface BffModuleDeps {
  readonly config: BffConfig;
  readonly logger: Logger;
  readonly store: KeyValueStore;
  readonly pubsub: PubSub;
  readonly verifier: TokenVerifier;
  readonly identity: IdentityClient;
  readonly auth: AuthClient;
  readonly legal: LegalClient;
  readonly audit: AuditClient;
}

@Module({})
export class BffModule {}

export function bffModule(deps: BffModuleDeps): DynamicModule {
  return {
    module: BffModule,
    imports: [
      GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        path: '/graphql',
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: deps.config.graphql.explorer,
        // Subscriptions are served by the BFF's own WebSocket gateway (cookie + Origin checked at
        // the upgrade), so mercurius' are off.
        subscription: false,
        validationRules: graphqlRules(deps.config.graphql),
        errorFormatter: graphqlErrorFormatter(deps.logger) as never,
        // Failures before an operation exists (the body) are problem+json as on every route.
        errorHandler: graphqlRouteErrorHandler(deps.logger, graphqlErrorReply(deps.logger)) as never,
        context: (request: unknown, reply: unknown) => ({ req: request, reply }),
      }),
    ],
    providers: [
      { provide: CONFIG, useValue: deps.config },
      { provide: LOGGER, useValue: deps.logger },
      { provide: KV_STORE, useValue: deps.store },
      { provide: PUB_SUB, useValue: deps.pubsub },
      { provide: TOKEN_VERIFIER, useValue: deps.verifier },
      { provide: IDENTITY, useValue: deps.identity },
      { provide: AUTH, useValue: deps.auth },
      { provide: LEGAL, useValue: deps.legal },
      { provide: AUDIT, useValue: deps.audit },
      { provide: APP_GUARD, useClass: CsrfGuard },
      SessionGuard,
      BrowserSessionRepository,
      ParkedConsentRepository,
      BrowserSessionService,
      SignUpService,
      SelfService,
      LegalFlowsService,
      AdminAuditService,
      LiveSessionHub,
      SessionEventsConsumer,
      AuthResolver,
      AccountResolver,
      LiveResolver,
      LegalResolver,
      AdminResolver,
    ],
  };
}
