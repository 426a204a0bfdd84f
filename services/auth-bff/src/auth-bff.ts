import 'reflect-metadata';
import type { DescService } from '@bufbuild/protobuf';
import fastifyCookie from '@fastify/cookie';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { TokenVerifier } from '@girok/kit/auth';
import {
  type KeyValueStore,
  MemoryPubSub,
  MemoryStore,
  type PubSub,
  ValkeyPubSub,
  ValkeyStore,
} from '@girok/kit/cache';
import { ConfigError } from '@girok/kit/config';
import { type EventConsumer, InProcessBus, KafkaEventConsumer, LocalEventConsumer } from '@girok/kit/events';
import { createGrpcClient } from '@girok/kit/grpc';
import { createServiceApp, startMetricsServer } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { FileTokenSource, type WorkloadTokenSource } from '@girok/kit/workload';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { bffModule } from './app.module.ts';
import type { BffConfig } from './config.ts';
import { graphqlRules } from './graphql/query-limits.ts';
import { LiveSessionHub } from './live/live-session.hub.ts';
import { SESSION_TOPICS, SessionEventsConsumer } from './live/session-events.consumer.ts';
import { SocketGateway } from './live/socket.gateway.ts';
import { BrowserSessionRepository } from './repositories/browser-session.repository.ts';
import { registerRestRoutes } from './rest/rest-routes.ts';
import { BrowserSessionService } from './services/browser-session.service.ts';
import { TrustedProxies } from './web/client-address.ts';
import { registerTransportHooks } from './web/transport.hooks.ts';

export interface RunningAuthBff {
  readonly url: string;
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  /** Sockets this replica serves. */
  readonly sockets: () => number;
  /** `/metrics`, on its own port. */
  readonly metricsUrl: string;
  /** Graceful: closes the sockets, stops consuming, drains HTTP, closes clients and stores. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** The BFF's workload token source; default: the projected token file (WORKLOAD_TOKEN_FILE). */
  readonly workloadTokens?: WorkloadTokenSource;
  /** Local mode (no KAFKA_BROKERS): the bus identity's events arrive on. */
  readonly bus?: InProcessBus;
}

/** The projected token file, or a start-up error naming the variable: every call the BFF makes needs it. */
function workloadTokenFile(path: string | undefined): WorkloadTokenSource {
  if (path === undefined) {
    throw new ConfigError([
      "WORKLOAD_TOKEN_FILE is required: the path of the BFF's workload token (its projected ServiceAccount token)",
    ]);
  }
  return new FileTokenSource(path);
}

/**
 * Starts auth-bff: GraphQL (+ explorer), the REST face, `/ws/sessions` and graphql-ws on one
 * HTTP server; identity and auth over gRPC; browser sessions in Valkey (memory in local mode);
 * identity's session events from Kafka (the in-process bus in local mode).
 */
export async function startAuthBff(config: BffConfig, options: StartOptions = {}): Promise<RunningAuthBff> {
  const logger = options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const registry = new Registry();
  // A URL present means the real server; absent, local mode's in-process twin (docs/architecture.md §6).
  const store: KeyValueStore =
    config.valkeyUrl === undefined
      ? new MemoryStore()
      : new ValkeyStore({ url: config.valkeyUrl, keyPrefix: config.valkeyPrefix });
  const pubsub: PubSub =
    config.valkeyUrl === undefined
      ? new MemoryPubSub(logger)
      : new ValkeyPubSub({ url: config.valkeyUrl, channelPrefix: config.valkeyPrefix });
  const workload = options.workloadTokens ?? workloadTokenFile(config.workloadTokenFile);
  const client = <S extends DescService>(service: S, address: string, name: string) =>
    createGrpcClient(service, address, {
      deadlineMs: config.grpcDeadlineMs,
      policy: createPolicy({ name, retry: { maxRetries: 2 }, registry, logger }),
      logger,
      workload,
    });
  const identity = client(IdentityService, config.identityGrpcAddress, 'identity-service');
  const auth = client(AuthService, config.authGrpcAddress, 'auth-service');
  const legal = client(LegalService, config.legalGrpcAddress, 'legal-service');
  const audit = client(AuditService, config.auditGrpcAddress, 'audit-service');
  const verifier = new TokenVerifier({
    jwksUrl: config.jwksUrl,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    cacheMaxAgeMs: config.jwksCacheMaxAgeMs,
    // Tokens reach the verifier only from this BFF's own store, never from clients: a new kid
    // (a rotation) may refetch the JWKS every second without anyone being able to force it.
    cooldownMs: 1000,
  });

  const app = await createServiceApp(
    bffModule({ config, logger, store, pubsub, verifier, identity, auth, legal, audit }),
    {
      logger,
      registry,
      readiness: [{ name: 'valkey', check: () => store.ping() }],
    },
  );
  await app.register(fastifyCookie as never);
  const fastify = app.getHttpAdapter().getInstance();
  registerTransportHooks(fastify, new TrustedProxies(config.trustedProxies), logger);
  registerRestRoutes(fastify, () => app.get(GraphQLSchemaHost).schema);
  await app.listen({ port: config.httpPort, host: config.host });
  const port = (app.getHttpServer().address() as { port: number }).port;
  const metrics = await startMetricsServer(registry, config.host, config.metricsPort);

  const gateway = new SocketGateway({
    allowedOrigins: config.allowedOrigins,
    pollIntervalMs: config.sessionPollIntervalMs,
    schema: app.get(GraphQLSchemaHost).schema,
    validationRules: graphqlRules(config.graphql),
    sessions: app.get(BrowserSessionService),
    repository: app.get(BrowserSessionRepository),
    hub: app.get(LiveSessionHub),
    logger,
  });
  gateway.attach(app.getHttpServer());

  const consumer: EventConsumer =
    config.kafkaBrokers.length > 0
      ? new KafkaEventConsumer({
          kafka: new Kafka({
            clientId: config.serviceName,
            brokers: config.kafkaBrokers,
            logLevel: logLevel.NOTHING,
          }),
          groupId: config.consumerGroup,
          topics: SESSION_TOPICS,
          logger,
          registry,
        })
      : new LocalEventConsumer({ bus: options.bus ?? new InProcessBus(logger), topics: SESSION_TOPICS });
  await consumer.start(app.get(SessionEventsConsumer).handle);

  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  logger.info({ http: port }, 'auth-bff started');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    metricsUrl: `http://${host}:${metrics.port}/metrics`,
    app,
    logger,
    sockets: () => gateway.size,
    close: () => {
      closing ??= (async () => {
        await gateway.close();
        await consumer.stop();
        await app.close();
        for (const grpcClient of [identity, auth, legal, audit]) grpcClient.close();
        await metrics.close();
        await pubsub.close();
        await store.close();
      })();
      return closing;
    },
  };
}
