import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { fastifyCookie } from '@fastify/cookie';
import { DomainError } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import {
  type ExecutionArgs,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { handleProtocols, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatGraphqlError } from '../graphql/graphql-errors.ts';
import type { BrowserSession, BrowserSessionRepository } from '../repositories/browser-session.repository.ts';
import type { BrowserSessionService } from '../services/browser-session.service.ts';
import { SESSION_COOKIE } from '../web/cookies.ts';
import type { LiveSessionHub, SessionChange } from './live-session.hub.ts';

/** Who opened a socket: a live, unrestricted browser session. */
export interface SocketCaller {
  readonly handle: string;
  readonly session: BrowserSession;
}

/** The GraphQL context of an operation over graphql-ws. */
export interface SocketContext {
  readonly socket: SocketCaller;
  /** Carried by every error this operation answers, and logged with it. */
  readonly correlationId: string;
}

export interface SocketGatewayOptions {
  readonly allowedOrigins: readonly string[];
  readonly pollIntervalMs: number;
  readonly schema: GraphQLSchema;
  /** The same limits as over HTTP (depth, complexity, introspection). */
  readonly validationRules: readonly ValidationRule[];
  readonly sessions: BrowserSessionService;
  readonly repository: BrowserSessionRepository;
  readonly hub: LiveSessionHub;
  readonly logger: Logger;
}

/** Close codes in the application range: the client knows not to reconnect with this cookie. */
const CLOSE_SESSION_ENDED = 4401;

interface OpenSocket {
  readonly ws: WebSocket;
  readonly caller: SocketCaller;
  expiringSent: boolean;
}

/**
 * The WebSockets on the BFF's HTTP server: `/ws/sessions` (JSON session changes) and `/graphql`
 * (graphql-ws subscriptions). Both authenticate at the upgrade — session cookie and an allowed
 * Origin — so a refused socket never opens. Open sockets of this replica are re-checked every
 * poll interval, the fallback when an event does not arrive.
 */
export class SocketGateway {
  readonly #options: SocketGatewayOptions;
  readonly #sessionsServer = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  readonly #graphqlServer = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, handleProtocols });
  readonly #open = new Set<OpenSocket>();
  readonly #poll: NodeJS.Timeout;
  readonly #graphqlDisposable: { dispose(): unknown };

  constructor(options: SocketGatewayOptions) {
    this.#options = options;
    // Every answer's errors go through the HTTP formatter: coded, with a correlation id, and an
    // unexpected error's text (a resolver reading an HTTP request that a socket has not) hidden.
    const coded = (errors: readonly GraphQLError[], correlationId: string): GraphQLFormattedError[] =>
      errors.map((error) =>
        formatGraphqlError(
          error,
          correlationId,
          options.logger.child({ correlationId, transport: 'graphql-ws' }),
        ),
      );
    this.#graphqlDisposable = useServer<Record<string, unknown>, { request: IncomingMessage }>(
      {
        schema: options.schema,
        onSubscribe: (ctx, _id, payload) =>
          this.#prepare(
            payload,
            (ctx.extra.request as IncomingMessage & { girokCaller: SocketCaller }).girokCaller,
          ),
        onNext: (_ctx, _id, _payload, args, result) =>
          result.errors === undefined
            ? undefined
            : {
                data: result.data ?? null,
                errors: coded(result.errors, (args.contextValue as SocketContext).correlationId),
              },
        // Refusals from #prepare carry their correlation id; a failing stream gets a fresh one.
        onError: (_ctx, _id, _payload, errors) =>
          coded(errors, String(errors[0]?.extensions.correlationId ?? randomUUID())),
      },
      this.#graphqlServer,
    );
    this.#poll = setInterval(() => void this.#pollSessions(), options.pollIntervalMs);
    this.#poll.unref();
  }

  /**
   * Parses and validates an operation with the HTTP rules; only subscriptions run here (queries and
   * mutations need the HTTP exchange: cookies, CSRF). A refusal is a list of coded errors.
   */
  #prepare(payload: SubscribePayload, caller: SocketCaller): ExecutionArgs | readonly GraphQLError[] {
    const correlationId = randomUUID();
    const refuse = (code: string, message: string) => [
      new GraphQLError(message, { extensions: { code, status: 400, correlationId } }),
    ];
    let document: ExecutionArgs['document'];
    try {
      document = parse(payload.query);
    } catch (error) {
      return refuse('GRAPHQL_PARSE_FAILED', (error as GraphQLError).message);
    }
    const invalid = validate(this.#options.schema, document, [
      ...specifiedRules,
      ...this.#options.validationRules,
    ]);
    if (invalid.length > 0)
      return invalid.map(
        (error) =>
          new GraphQLError(error.message, {
            nodes: error.nodes ?? null,
            extensions: {
              code: 'GRAPHQL_VALIDATION_FAILED',
              status: 400,
              ...error.extensions,
              correlationId,
            },
          }),
      );
    if (getOperationAST(document, payload.operationName)?.operation !== 'subscription')
      return refuse(
        'OPERATION_NOT_SUPPORTED',
        'The socket serves subscriptions; send queries and mutations over HTTP',
      );
    return {
      schema: this.#options.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: { socket: caller, correlationId } satisfies SocketContext,
    };
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(request, socket, head).catch((error: unknown) => {
        this.#options.logger.warn({ err: error }, 'websocket upgrade failed');
        refuse(
          socket,
          error instanceof DomainError ? error : new DomainError('INTERNAL', 'INTERNAL', 'Upgrade failed'),
        );
      });
    });
  }

  /** How many sockets this replica serves. */
  get size(): number {
    return this.#open.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    for (const { ws } of this.#open) ws.close(1001, 'server shutting down');
    await this.#graphqlDisposable.dispose();
    await Promise.all([
      new Promise((resolve) => this.#sessionsServer.close(resolve)),
      new Promise((resolve) => this.#graphqlServer.close(resolve)),
    ]);
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://bff');
    if (url.pathname !== '/ws/sessions' && url.pathname !== '/graphql') {
      throw new DomainError('NOT_FOUND', 'ROUTE_NOT_FOUND', 'No WebSocket here');
    }
    const origin = request.headers.origin;
    if (origin === undefined || !this.#options.allowedOrigins.includes(origin)) {
      throw new DomainError('PERMISSION_DENIED', 'ORIGIN_NOT_ALLOWED', 'This origin may not open the socket');
    }
    const cookie = fastifyCookie.parse(request.headers.cookie ?? '')[SESSION_COOKIE];
    const caller = await this.#options.sessions.resolveSocket(cookie);
    if (caller === undefined) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'SESSION_REQUIRED',
        'Log in first: the socket needs a session cookie',
      );
    }
    if (url.pathname === '/graphql') {
      Object.assign(request, { girokCaller: caller });
      this.#graphqlServer.handleUpgrade(request, socket, head, (ws) =>
        this.#graphqlServer.emit('connection', ws, request),
      );
      return;
    }
    const platform = url.searchParams.get('scope') === 'platform';
    if (platform) await this.#options.hub.requirePlatformView(caller.session.accountId);
    this.#sessionsServer.handleUpgrade(request, socket, head, (ws) =>
      this.#serve(ws, caller, platform).catch((error: unknown) => {
        this.#options.logger.error({ err: error }, 'socket setup failed');
        ws.terminate();
      }),
    );
  }

  async #serve(ws: WebSocket, caller: SocketCaller, platform: boolean): Promise<void> {
    const open: OpenSocket = { ws, caller, expiringSent: false };
    let stop: (() => void) | undefined;
    let closed = false;
    ws.on('close', () => {
      closed = true;
      stop?.();
      this.#open.delete(open);
    });
    ws.on('error', () => ws.terminate());
    const { hub, logger } = this.#options;
    const listener = (change: SessionChange) => this.#send(open, change);
    try {
      stop = platform
        ? await hub.watchPlatform(caller.session.accountId, listener)
        : await hub.watchAccount(caller.session.accountId, listener);
    } catch (error) {
      // Valkey unreachable: the socket cannot be fed, so it closes and the client retries later.
      logger.warn({ err: error }, 'session stream unavailable; closing the socket');
      ws.close(1011, 'session stream unavailable');
      return;
    }
    if (closed) {
      stop();
      return;
    }
    this.#open.add(open);
    ws.send(
      JSON.stringify({
        type: 'ready',
        accountId: caller.session.accountId,
        sessionId: caller.session.sessionId,
        scope: platform ? 'platform' : 'account',
      }),
    );
  }

  #send(open: OpenSocket, change: SessionChange): void {
    const current = change.sessionId === open.caller.session.sessionId;
    open.ws.send(JSON.stringify({ ...change, current }));
    if (current && change.type === 'session.revoked') open.ws.close(CLOSE_SESSION_ENDED, 'session revoked');
  }

  /**
   * The fallback: a socket whose session ended without an event hears it within one interval.
   * One check per browser session, however many sockets it has open here.
   */
  async #pollSessions(): Promise<void> {
    const { repository, sessions, logger, pollIntervalMs } = this.#options;
    const byHandle = Map.groupBy(this.#open, (open) => open.caller.handle);
    await Promise.all(
      [...byHandle].map(async ([handle, sockets]) => {
        const { session } = sockets[0]?.caller ?? {};
        if (session === undefined) return;
        try {
          const current = await repository.find(handle);
          const valid = current !== undefined && (await sessions.stillValid(handle, current));
          const change = { accountId: session.accountId, sessionId: session.sessionId, deviceId: null };
          for (const open of sockets) {
            if (!valid) {
              this.#send(open, { ...change, type: 'session.revoked', occurredAt: new Date().toISOString() });
            } else if (!open.expiringSent && current.expiresAt - Date.now() < 2 * pollIntervalMs + 60_000) {
              open.expiringSent = true;
              open.ws.send(
                JSON.stringify({
                  ...change,
                  type: 'session.expiring',
                  occurredAt: new Date(current.expiresAt).toISOString(),
                  current: true,
                }),
              );
            }
          }
        } catch (error) {
          logger.warn({ err: error }, 'session poll failed; trying again next interval');
        }
      }),
    );
  }
}

function refuse(socket: Duplex, error: DomainError): void {
  const status = error.httpStatus;
  const body = JSON.stringify({ status, code: error.code, detail: error.message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Error'}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
