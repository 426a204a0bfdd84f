import type { DescService } from '@bufbuild/protobuf';
import type { LoggerService, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client';
import { REQUEST_ID_KEY, requestIdFrom } from '../context/request-context.ts';
import type { ServiceImplementation } from '../grpc/grpc-server.ts';
import type { Logger } from '../logging/logger.ts';
import type { CallerAuthenticator } from '../rpc/caller.ts';
import { registerRestFace } from '../rpc/rest-face.ts';
import { buildOpenApi, type OpenApiInfo } from './openapi.ts';
import { ProblemDetailsFilter } from './problem-details.filter.ts';
import { RequestContextInterceptor } from './request-context.interceptor.ts';

/** Nest's framework logs through the service's pino logger. */
function nestLogger(logger: Logger): LoggerService {
  return {
    log: (message: unknown, context?: string) => logger.debug({ context }, String(message)),
    error: (message: unknown, ...rest: unknown[]) => logger.error({ detail: rest }, String(message)),
    warn: (message: unknown, context?: string) => logger.warn({ context }, String(message)),
    debug: (message: unknown, context?: string) => logger.trace({ context }, String(message)),
    verbose: (message: unknown, context?: string) => logger.trace({ context }, String(message)),
  };
}

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface ServiceAppOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: readonly ReadinessCheck[];
  /** Largest accepted JSON body; identity requests are small. */
  readonly bodyLimitBytes?: number;
}

type ModuleClass = NonNullable<ModuleMetadata['imports']>[number];

/**
 * A service's HTTP face: NestJS on Fastify with problem+json errors, request ids, the REST face of
 * its RPCs, `/openapi.json`, `/health/live`, `/health/ready` (metrics are on their own port, see
 * `startMetricsServer`), and graceful shutdown through
 * `app.close()` (Fastify finishes in-flight requests and answers 503 to new ones). No Nest signal
 * hooks: the service's own close() orders the shutdown (gRPC, HTTP, relay, pools) and exits.
 */
export async function createServiceApp(
  module: ModuleClass,
  options: ServiceAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, unknown> }) =>
      requestIdFrom(request.headers[REQUEST_ID_KEY]),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: nestLogger(options.logger),
    abortOnError: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger));
  app.useGlobalInterceptors(new RequestContextInterceptor());
  const fastify = app.getHttpAdapter().getInstance();
  registerOperationalRoutes(fastify, options);

  return app;
}

/**
 * The REST face of a service's RPCs (from their `http` declarations, behind their `access`
 * declarations: the same handlers and guard as the gRPC face) and its OpenAPI document at
 * `/openapi.json`. Call before `listen`.
 */
export function mountRestFace(
  app: NestFastifyApplication,
  options: {
    readonly services: readonly ServiceImplementation[];
    readonly callers: CallerAuthenticator;
    readonly openApi: OpenApiInfo;
    readonly logger: Logger;
  },
): void {
  const fastify = app.getHttpAdapter().getInstance();
  registerRestFace(fastify, options);
  const document = buildOpenApi(
    options.openApi,
    options.services.map(({ service }) => service as DescService),
  );
  fastify.get('/openapi.json', async () => document);
}

function registerOperationalRoutes(fastify: FastifyInstance, options: ServiceAppOptions): void {
  collectDefaultMetrics({ register: options.registry });
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'REST request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.registry],
  });
  fastify.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  fastify.get('/health/live', async () => ({ status: 'ok' }));
  fastify.get('/health/ready', async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) };
  });
}
