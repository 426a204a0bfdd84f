import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { REQUEST_ID_KEY, runWithContext } from '../context/request-context.ts';

/** The Fastify request and reply behind a REST handler or a GraphQL resolver (context `req`/`reply`). */
function exchangeOf(context: ExecutionContext): {
  request: FastifyRequest | undefined;
  reply: FastifyReply | undefined;
} {
  if (context.getType() === 'http') {
    return { request: context.switchToHttp().getRequest(), reply: context.switchToHttp().getResponse() };
  }
  const graphqlContext = context.getArgByIndex<{ req?: FastifyRequest; reply?: FastifyReply } | undefined>(2);
  return { request: graphqlContext?.req, reply: graphqlContext?.reply };
}

/**
 * Runs each REST handler (and GraphQL resolver) inside the request's context so logs and outgoing gRPC calls carry its
 * id. Fastify has already taken the id from `x-request-id` (or minted one) as `request.id`.
 */
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { request, reply } = exchangeOf(context);
    // A GraphQL subscription over WebSocket has no HTTP exchange: it keeps the upgrade's context.
    if (request === undefined) return next.handle();
    const requestId = String(request.id);
    reply?.header(REQUEST_ID_KEY, requestId);
    return new Observable((subscriber) =>
      runWithContext({ requestId }, () => next.handle().subscribe(subscriber)),
    );
  }
}
