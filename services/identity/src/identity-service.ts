import 'reflect-metadata';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { type KeyValueStore, MemoryStore, ValkeyStore } from '@girok/kit/cache';
import { createDatabase, ensureDatabase, migrateToLatest, pingDatabase } from '@girok/kit/db';
import { createDsrConsumer, DsrParticipant } from '@girok/kit/dsr';
import { InProcessBus } from '@girok/kit/events';
import { createGrpcServer, type GrpcServer } from '@girok/kit/grpc';
import { createServiceApp, mountRestFace, startMetricsServer } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createOutboxRelay } from '@girok/kit/outbox';
import { startCallerAuthenticator } from '@girok/kit/rpc';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { identityModule } from './app.module.ts';
import type { IdentityConfig } from './config.ts';
import type { PasswordHasher } from './crypto/password-hasher.ts';
import { IdentityGrpcHandlers } from './grpc/identity.grpc.ts';
import { migrations } from './migrations/index.ts';
import type { IdentityDatabase } from './schema/database.ts';
import { AccountService } from './services/account.service.ts';
import { DataSubjectService } from './services/data-subject.service.ts';
import { type Clock, systemClock } from './tokens.ts';

const OPEN_API = {
  title: 'Girok identity-service',
  version: 'v1',
  description:
    'Accounts, credentials, MFA, sessions, devices and profiles. Each route is the JSON face of an ' +
    'IdentityService RPC (girok.identity.v1) behind the access it declares; errors are RFC 9457 ' +
    'problem+json with a stable code.',
};

export interface RunningIdentityService {
  readonly httpUrl: string;
  /** `/metrics`, on its own port. */
  readonly metricsUrl: string;
  readonly grpcAddress: string;
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  /** Graceful: stops taking work, drains HTTP and gRPC and the DSR consumer, stops the relay and the sweeper. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Cheaper hashing parameters for tests that are not about hashing. */
  readonly passwordHasher?: PasswordHasher;
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
 * Starts identity-service: migrations, then REST + gRPC, the outbox relay, the deletion sweeper
 * and its part in data-subject requests. Everything it opens, `close()` shuts in reverse order.
 */
export async function startIdentityService(
  config: IdentityConfig,
  options: StartOptions = {},
): Promise<RunningIdentityService> {
  const logger = options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const registry = new Registry();
  await ensureDatabase(config.databaseUrl);
  const db = createDatabase<IdentityDatabase>({
    url: config.databaseUrl,
    maxConnections: config.databasePoolSize,
  });
  const applied = await migrateToLatest(db, migrations);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  // A URL present means the real server; absent, local mode's in-process twin (docs/architecture.md §6).
  const store: KeyValueStore =
    config.valkeyUrl === undefined
      ? new MemoryStore()
      : new ValkeyStore({ url: config.valkeyUrl, keyPrefix: 'identity:' });

  const app = await createServiceApp(
    identityModule({
      config,
      db,
      store,
      logger,
      registry,
      clock: options.clock ?? systemClock,
      ...(options.passwordHasher === undefined ? {} : { passwordHasher: options.passwordHasher }),
    }),
    {
      logger,
      registry,
      readiness: [
        { name: 'postgres', check: () => pingDatabase(db) },
        { name: 'valkey', check: () => store.ping() },
      ],
    },
  );
  // Local mode: events out and DSR requests in on one bus (the process's, or one of its own).
  const bus = options.bus ?? new InProcessBus(logger);
  // One declaration per RPC: the same handlers behind the same access rules on REST and gRPC;
  // tokens of revoked sessions are refused as soon as this replica reads identity's own event.
  const running = startCallerAuthenticator(config.callers, {
    service: config.serviceName,
    kafkaBrokers: config.kafkaBrokers,
    bus,
    logger,
    registry,
  });
  const callers = running.callers;
  const services = [{ service: IdentityService, handlers: app.get(IdentityGrpcHandlers).handlers }];
  mountRestFace(app, { services, callers, logger, openApi: OPEN_API });
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  const metrics = await startMetricsServer(registry, config.host, config.callers.metricsPort);

  const grpc: GrpcServer = createGrpcServer({ logger, services, callers });
  const grpcPort = await grpc.listen(config.host, config.grpcPort);

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
  // Not awaited: logins never wait for Kafka or for legal.dsr.v1 to exist. The participant keeps
  // trying to start in the background; requests wait on the topic meanwhile (deadlines are days).
  void dsr?.start();

  const accounts = app.get(AccountService);
  const sweeper = setInterval(() => {
    accounts
      .sweepDueDeletions()
      .catch((error: unknown) => logger.warn({ err: error }, 'deletion sweep failed'));
  }, config.deletionSweepIntervalMs);
  sweeper.unref();

  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  logger.info({ http: httpPort, grpc: grpcPort }, 'identity-service started');
  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${host}:${httpPort}`,
    metricsUrl: `http://${host}:${metrics.port}/metrics`,
    grpcAddress: `${host}:${grpcPort}`,
    app,
    logger,
    close: () => {
      closing ??= (async () => {
        clearInterval(sweeper);
        // The DSR consumer with the rest of the work: an answer committed meanwhile is still relayed.
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), app.close(), dsr?.stop()]);
        await relay?.stop();
        await running.stop();
        await metrics.close();
        await store.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}
