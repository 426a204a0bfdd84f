import 'reflect-metadata';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { createDatabase, ensureDatabase, migrateToLatest, pingDatabase } from '@girok/kit/db';
import { createDsrConsumer, DsrParticipant } from '@girok/kit/dsr';
import { InProcessBus } from '@girok/kit/events';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@girok/kit/grpc';
import { createServiceApp } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createOutboxRelay } from '@girok/kit/outbox';
import { createPolicy } from '@girok/kit/resilience';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { authModule } from './app.module.ts';
import type { AuthConfig } from './config.ts';
import { AuthGrpcHandlers } from './grpc/auth.grpc.ts';
import { migrations } from './migrations/index.ts';
import type { AuthDatabase } from './schema/database.ts';
import { DataSubjectService } from './services/data-subject.service.ts';
import { SigningKeyService } from './services/signing-key.service.ts';
import { type Clock, systemClock } from './tokens.ts';

export interface RunningAuthService {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  /** Graceful: stops taking work, drains HTTP and gRPC and the DSR consumer, stops the relay and the key timer. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Run the outbox relay in this process (default true). */
  readonly relay?: boolean;
  /**
   * Answer data-subject requests off `legal.dsr.v1` (default true). Off for test suites about
   * something else, which would otherwise answer other suites' requests on a shared broker.
   */
  readonly dsr?: boolean;
  /** Local mode (no KAFKA_BROKERS): the bus events go to, shared with the process's other services. */
  readonly bus?: InProcessBus;
}

/**
 * Starts auth-service: migrations, the first signing key if there is none, then REST + gRPC, the
 * outbox relay, the signing-key timer and its part in data-subject requests. Everything it opens,
 * `close()` shuts in reverse order.
 */
export async function startAuthService(
  config: AuthConfig,
  options: StartOptions = {},
): Promise<RunningAuthService> {
  const logger = options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const registry = new Registry();
  await ensureDatabase(config.databaseUrl);
  const db = createDatabase<AuthDatabase>({
    url: config.databaseUrl,
    maxConnections: config.databasePoolSize,
  });
  const applied = await migrateToLatest(db, migrations);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const identity = createGrpcClient(IdentityService, config.identityGrpcAddress, {
    deadlineMs: config.identityDeadlineMs,
    policy: createPolicy({ name: 'identity-service', registry, logger }),
    logger,
  });

  const app = await createServiceApp(
    authModule({ config, db, identity, logger, registry, clock: options.clock ?? systemClock }),
    {
      logger,
      registry,
      readiness: [{ name: 'postgres', check: () => pingDatabase(db) }],
    },
  );
  const keys = app.get(SigningKeyService);
  await keys.maintain();
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.getHttpServer().address() as { port: number }).port;

  const handlers = app.get(AuthGrpcHandlers);
  const grpc: GrpcServer = createGrpcServer({
    logger,
    services: [{ service: AuthService, handlers: handlers.handlers }],
  });
  const grpcPort = await grpc.listen(config.host, config.grpcPort);

  // Local mode: events out and DSR requests in on one bus (the process's, or one of its own).
  const bus = options.bus ?? new InProcessBus(logger);
  const relay =
    options.relay === false
      ? undefined
      : createOutboxRelay({
          db,
          databaseUrl: config.databaseUrl,
          kafkaBrokers: config.kafkaBrokers,
          clientId: config.serviceName,
          logger,
          registry,
          bus,
        });
  relay?.start();

  const subjects = app.get(DataSubjectService);
  const dsr =
    options.dsr === false
      ? undefined
      : new DsrParticipant({
          service: config.serviceName,
          consumer: createDsrConsumer({
            service: config.serviceName,
            groupId: config.dsrConsumerGroup,
            kafkaBrokers: config.kafkaBrokers,
            bus,
            logger,
            registry,
          }),
          db,
          logger,
          handlers: {
            erase: (tx, accountId, request) => subjects.erase(tx, accountId, request),
            export: (tx, accountId) => subjects.export(tx, accountId),
          },
        });
  // Not awaited: tokens and permission checks never wait for Kafka or for legal.dsr.v1 to exist.
  // The participant keeps trying to start in the background; requests wait on the topic meanwhile.
  void dsr?.start();

  // Every replica checks; the advisory lock makes one of them do a due rotation or retirement.
  const keyTimer = setInterval(() => {
    keys.maintain().catch((error: unknown) => logger.warn({ err: error }, 'signing key maintenance failed'));
  }, config.signingKeys.maintenanceIntervalMs);
  keyTimer.unref();

  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  logger.info({ http: httpPort, grpc: grpcPort }, 'auth-service started');
  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${host}:${httpPort}`,
    grpcAddress: `${host}:${grpcPort}`,
    app,
    logger,
    close: () => {
      closing ??= (async () => {
        clearInterval(keyTimer);
        // The DSR consumer with the rest of the work: an answer committed meanwhile is still relayed.
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), app.close(), dsr?.stop()]);
        await relay?.stop();
        identity.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}
