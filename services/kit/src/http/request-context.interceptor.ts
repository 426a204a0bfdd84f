import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { REQUEST_ID_KEY, runWithContext } from '../context/request-context.ts';

/**
 * Runs each REST handler inside the request's context so logs and outgoing gRPC calls carry its
 * id. Fastify has already taken the id from `x-request-id` (or minted one) as `request.id`.
 */
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const requestId = String(request.id);
    reply.header(REQUEST_ID_KEY, requestId);
    return new Observable((subscriber) =>
      runWithContext({ requestId }, () => next.handle().subscribe(subscriber)),
    );
  }
}
