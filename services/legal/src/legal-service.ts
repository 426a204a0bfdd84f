import 'reflect-metadata';
import { setTimeout as delay } from 'node:timers/promises';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { ConfigError } from '@girok/kit/config';
import { createDatabase, ensureDatabase, migrateToLatest, pingDatabase } from '@girok/kit/db';
import {
  type EventConsumer,
  type EventHandler,
  InProcessBus,
  KafkaEventConsumer,
  kafkaClient,
  LocalEventConsumer,
} from '@girok/kit/events';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@girok/kit/grpc';
import { createServiceApp, mountRestFace, startMetricsServer } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createOutboxRelay } from '@girok/kit/outbox';
import { createPolicy } from '@girok/kit/resilience';
import { startCallerAuthenticator } from '@girok/kit/rpc';
import { FileTokenSource, type WorkloadTokenSource } from '@girok/kit/workload';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { legalModule } from './app.module.ts';
import type { LegalConfig } from './config.ts';
import { CONSUMED_TOPICS, DsrEventsConsumer } from './consumers/dsr-events.consumer.ts';
import { LegalGrpcHandlers } from './grpc/legal.grpc.ts';
import { migrations } from './migrations/index.ts';
import type { LegalDatabase } from './schema/database.ts';
import { DsrEscalationService } from './services/dsr-escalation.service.ts';
import { type Clock, systemClock } from './tokens.ts';

const OPEN_API = {
  title: 'Girok legal-service',
  version: 'v1',
  description:
    'Legal documents and their lifecycle, consents with an append-only history, the law registry ' +
    'and data-subject requests. Each /v1 route is the JSON face of a LegalService RPC ' +
    '(girok.legal.v1) behind the access it declares; errors are RFC 9457 problem+json with a ' +
    'stable code.',
};

export interface RunningLegalService {
  readonly httpUrl: string;
  /** `/metrics`, on its own port. */
  readonly metricsUrl: string;
  readonly grpcAddress: string;
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  /** Graceful: stops taking work, drains HTTP and gRPC, stops the consumer, the timer and the relay. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Run the outbox relay in this process (default true). */
  readonly relay?: boolean;
  /** Local mode (no KAFKA_BROKERS): the bus events go to and come from, shared with the process's other services. */
  readonly bus?: InProcessBus;
  /**
   * legal-service's own workload token for its calls to identity-service (tests and local mode);
   * default: the projected ServiceAccount token at WORKLOAD_TOKEN_FILE.
   */
  readonly workloadTokens?: WorkloadTokenSource;
}

/** Legal documents can be long: REST bodies up to 1 MiB (the default is 64 KiB). */
const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Starts legal-service: migrations (the law registry is seeded there), REST + gRPC, the outbox
 * relay, the legal.dsr.v1 consumer (fulfilment) and the escalation timer. Everything it opens,
 * `close()` shuts in reverse order.
 */
export async function startLegalService(
  config: LegalConfig,
  options: StartOptions = {},
): Promise<RunningLegalService> {
  const workload = workloadTokenSource(config, options);
  const logger = options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const registry = new Registry();
  await ensureDatabase(config.databaseUrl);
  const db = createDatabase<LegalDatabase>({
    url: config.databaseUrl,
    maxConnections: config.databasePoolSize,
  });
  const applied = await migrateToLatest(db, migrations);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const identity = createGrpcClient(IdentityService, config.identityGrpcAddress, {
    deadlineMs: config.identityDeadlineMs,
    policy: createPolicy({ name: 'identity-service', registry, logger }),
    logger,
    workload,
  });
  const clock = options.clock ?? systemClock;

  const app = await createServiceApp(legalModule({ config, db, identity, logger, clock }), {
    logger,
    registry,
    readiness: [{ name: 'postgres', check: () => pingDatabase(db) }],
    bodyLimitBytes: BODY_LIMIT_BYTES,
  });
  // One declaration per RPC: the same handlers behind the same access rules on REST and gRPC.
  // Tokens of sessions identity revoked are refused as soon as this replica reads the event.
  const running = startCallerAuthenticator(config.callers, {
    service: config.serviceName,
    kafka: config.kafka,
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    logger,
    registry,
  });
  const callers = running.callers;
  const services = [{ service: LegalService, handlers: app.get(LegalGrpcHandlers).handlers }];
  mountRestFace(app, { services, callers, logger, openApi: OPEN_API });
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  const metrics = await startMetricsServer(registry, config.host, config.callers.metricsPort);

  const grpc: GrpcServer = createGrpcServer({ logger, services, callers });
  const grpcPort = await grpc.listen(config.host, config.grpcPort);

  const bus = config.kafka.brokers.length === 0 ? (options.bus ?? new InProcessBus(logger)) : undefined;
  const consumer: EventConsumer =
    bus === undefined
      ? new KafkaEventConsumer({
          kafka: kafkaClient(config.kafka, config.serviceName),
          groupId: config.dsr.consumerGroup,
          topics: CONSUMED_TOPICS,
          fromBeginning: config.dsr.consumerFromBeginning,
          logger,
          registry,
        })
      : new LocalEventConsumer({ bus, topics: CONSUMED_TOPICS });
  // Not awaited: documents, consents and DSR filing never wait for Kafka. The consumer keeps trying
  // in the background; fulfilment events wait on the topic meanwhile (deadlines are days).
  const stopConsuming = new AbortController();
  const consuming = startConsuming(consumer, app.get(DsrEventsConsumer).handle, stopConsuming.signal, logger);

  const relay =
    options.relay === false
      ? undefined
      : createOutboxRelay({
          db,
          databaseUrl: config.databaseUrl,
          kafka: config.kafka,
          clientId: config.serviceName,
          logger,
          registry,
          ...(bus === undefined ? {} : { bus }),
        });
  relay?.start();

  // Every replica runs the job; conditional updates make each escalation happen once.
  const escalation = app.get(DsrEscalationService);
  const escalate = () => {
    escalation.run().catch((error: unknown) => logger.warn({ err: error }, 'DSR escalation pass failed'));
  };
  escalate();
  const escalationTimer = setInterval(escalate, config.dsr.escalationIntervalMs);
  escalationTimer.unref();

  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  logger.info({ http: httpPort, grpc: grpcPort, metrics: metrics.port }, 'legal-service started');
  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${host}:${httpPort}`,
    metricsUrl: `http://${host}:${metrics.port}/metrics`,
    grpcAddress: `${host}:${grpcPort}`,
    app,
    logger,
    close: () => {
      closing ??= (async () => {
        clearInterval(escalationTimer);
        stopConsuming.abort();
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), app.close()]);
        // Lets the event in hand finish and commits it; a start still in flight is stopped once it ends.
        await consumer.stop();
        await consuming;
        await consumer.stop();
        await relay?.stop();
        identity.close();
        await running.stop();
        await metrics.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}

/** legal-service reads accounts from identity-service as itself: it cannot start without a way to prove it. */
function workloadTokenSource(config: LegalConfig, options: StartOptions): WorkloadTokenSource {
  if (options.workloadTokens !== undefined) return options.workloadTokens;
  const file = config.callers.workload.tokenFile;
  if (file === undefined) {
    throw new ConfigError([
      'WORKLOAD_TOKEN_FILE is required: legal-service calls identity-service with its workload token (the projected ServiceAccount token)',
    ]);
  }
  return new FileTokenSource(file);
}

/** Starts the consumer, retrying with backoff (0.5 s doubling to 30 s) until it runs or `signal` aborts. */
async function startConsuming(
  consumer: EventConsumer,
  handler: EventHandler,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      await consumer.start(handler);
      return;
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ err: error, attempt }, 'the legal.dsr.v1 consumer could not start; retrying');
      await delay(Math.min(30_000, 500 * 2 ** attempt), undefined, { signal }).catch(() => {});
    }
  }
}
