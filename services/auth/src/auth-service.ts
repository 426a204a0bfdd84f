import 'reflect-metadata';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { ConfigError } from '@girok/kit/config';
import { createDatabase, ensureDatabase, migrateToLatest, pingDatabase } from '@girok/kit/db';
import { createDsrConsumer, DsrParticipant } from '@girok/kit/dsr';
import { InProcessBus } from '@girok/kit/events';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@girok/kit/grpc';
import { createServiceApp, mountRestFace, startMetricsServer } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createOutboxRelay } from '@girok/kit/outbox';
import { createPolicy } from '@girok/kit/resilience';
import { accessTokenVerifier, startCallerAuthenticator, type UserTokenVerifier } from '@girok/kit/rpc';
import { FileTokenSource, type WorkloadTokenSource } from '@girok/kit/workload';
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

const OPEN_API = {
  title: 'Girok auth-service',
  version: 'v1',
  description:
    'Access tokens and their signing keys, roles and permission checks, operator assignments and ' +
    'sanctions. Each /v1 route is the JSON face of an AuthService RPC (girok.auth.v1) behind the ' +
    'access it declares; errors are RFC 9457 problem+json with a stable code. Verifiers fetch the ' +
    'signing keys at /.well-known/jwks.json.',
};

export interface RunningAuthService {
  readonly httpUrl: string;
  /** `/metrics`, on its own port. */
  readonly metricsUrl: string;
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
  /**
   * Its own workload token for calls to identity-service (tests and local mode); in a Pod the
   * projected token at WORKLOAD_TOKEN_FILE.
   */
  readonly workloadTokens?: WorkloadTokenSource;
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
  const workload = workloadTokensOf(config, options);
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
    workload,
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
  // auth-service verifies the access tokens it issued itself: against its own JWKS unless
  // AUTH_JWKS_URL names another authority. That URL is known once the port is bound; nothing is
  // verified before, as neither face takes calls until then.
  let ownTokens: UserTokenVerifier | undefined;
  const users: UserTokenVerifier = config.verifiesOwnTokens
    ? { verify: (token) => (ownTokens as UserTokenVerifier).verify(token) }
    : accessTokenVerifier(config.callers);
  // Local mode: events out and DSR requests in on one bus (the process's, or one of its own).
  const bus = options.bus ?? new InProcessBus(logger);
  // One declaration per RPC: the same handlers behind the same access rules on REST and gRPC;
  // tokens of sessions identity revoked are refused as soon as the event arrives.
  const running = startCallerAuthenticator(config.callers, {
    service: config.serviceName,
    kafka: config.kafka,
    bus,
    logger,
    registry,
    tokens: users,
  });
  const callers = running.callers;
  const services = [{ service: AuthService, handlers: app.get(AuthGrpcHandlers).handlers }];
  mountRestFace(app, { services, callers, logger, openApi: OPEN_API });
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const httpUrl = `http://${host}:${httpPort}`;
  ownTokens = accessTokenVerifier({
    ...config.callers,
    accessTokens: { ...config.callers.accessTokens, jwksUrl: `${httpUrl}/.well-known/jwks.json` },
  });
  const metrics = await startMetricsServer(registry, config.host, config.callers.metricsPort);

  const grpc: GrpcServer = createGrpcServer({ logger, services, callers });
  const grpcPort = await grpc.listen(config.host, config.grpcPort);

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
            kafka: config.kafka,
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

  logger.info({ http: httpPort, grpc: grpcPort }, 'auth-service started');
  let closing: Promise<void> | undefined;
  return {
    httpUrl,
    metricsUrl: `http://${host}:${metrics.port}/metrics`,
    grpcAddress: `${host}:${grpcPort}`,
    app,
    logger,
    close: () => {
      closing ??= (async () => {
        clearInterval(keyTimer);
        // The DSR consumer with the rest of the work: an answer committed meanwhile is still relayed.
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), app.close(), dsr?.stop()]);
        await relay?.stop();
        await running.stop();
        await metrics.close();
        identity.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}

/**
 * auth-service calls identity-service as itself (ValidateSession, RevokeAllSessions): without a
 * token it could issue no access token at all, so a missing one fails start-up, not the first call.
 */
function workloadTokensOf(config: AuthConfig, options: StartOptions): WorkloadTokenSource {
  if (options.workloadTokens !== undefined) return options.workloadTokens;
  const file = config.callers.workload.tokenFile;
  if (file === undefined) {
    throw new ConfigError([
      'WORKLOAD_TOKEN_FILE is required: auth-service calls identity-service with its workload token',
    ]);
  }
  return new FileTokenSource(file);
}
