import { DomainError } from '@girok/kit/errors';
import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import { BrowserSessionService, type Caller, sessionRequired } from '../services/browser-session.service.ts';
import { CSRF_COOKIE, CSRF_HEADER, sameSecret } from './cookies.ts';

/** The GraphQL context of an HTTP operation (mercurius gives `reply`, Nest's driver `req`). */
export interface GraphqlContext {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  /** Set by the session guard, once per operation. */
  caller?: Caller;
}

const ALLOW_RESTRICTED = 'girok:allow-restricted';

const csrfRejected = () =>
  new DomainError(
    'PERMISSION_DENIED',
    'CSRF_TOKEN_INVALID',
    `Send the ${CSRF_COOKIE} cookie's value in the ${CSRF_HEADER} header with every change`,
  );

const isMutation = (context: ExecutionContext): boolean =>
  context.getArgByIndex<GraphQLResolveInfo | undefined>(3)?.operation.operation === 'mutation';

const headerOf = (request: FastifyRequest): string | undefined => {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Every state-changing operation carries the CSRF token in a header equal to the CSRF cookie
 * (double submit; a cross-site page can send the cookie but cannot read it). Global: a new
 * mutation cannot forget it. Subscriptions over WebSocket are checked at the upgrade instead.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType<string>() !== 'graphql' || !isMutation(context)) return true;
    const { req } = context.getArgByIndex<GraphqlContext>(2);
    if (!sameSecret(headerOf(req), req.cookies[CSRF_COOKIE])) throw csrfRejected();
    return true;
  }
}

/**
 * The operation needs a signed-in caller with a verified access token (restricted sessions only
 * where `allowRestricted`); mutations also need the CSRF token bound to that session.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  readonly #sessions: BrowserSessionService;
  readonly #reflector: Reflector;

  constructor(
    @Inject(BrowserSessionService) sessions: BrowserSessionService,
    @Inject(Reflector) reflector: Reflector,
  ) {
    this.#sessions = sessions;
    this.#reflector = reflector;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const graphql = context.getArgByIndex<GraphqlContext>(2);
    const caller = graphql.caller ?? (await this.#sessions.resolve(graphql));
    if (caller === undefined) throw sessionRequired();
    if (caller.claims === undefined && this.#reflector.get(ALLOW_RESTRICTED, context.getHandler()) !== true) {
      throw new DomainError(
        'PERMISSION_DENIED',
        'MFA_ENROLLMENT_REQUIRED',
        'Enrol an authenticator (beginTotpEnrollment, confirmTotpEnrollment), then log in again',
      );
    }
    if (isMutation(context) && !sameSecret(headerOf(graphql.req), caller.session.csrfToken))
      throw csrfRejected();
    graphql.caller = caller;
    return true;
  }
}

/** Declares that a resolver needs a signed-in caller. */
export const Authenticated = (options: { allowRestricted?: boolean } = {}) =>
  applyDecorators(SetMetadata(ALLOW_RESTRICTED, options.allowRestricted === true), UseGuards(SessionGuard));

/** The caller the session guard resolved. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.getArgByIndex<GraphqlContext>(2).caller,
);

/** The operation's Fastify request and reply (cookies are set on it). */
export const CurrentExchange = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  context.getArgByIndex<GraphqlContext>(2),
);
