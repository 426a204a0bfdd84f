import 'reflect-metadata';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { createDatabase } from '@girok/kit/db';
import {
  type EventConsumer,
  InProcessBus,
  KafkaEventConsumer,
  kafkaClient,
  LocalEventConsumer,
} from '@girok/kit/events';
import { createGrpcServer, type GrpcServer } from '@girok/kit/grpc';
import { createServiceApp, mountRestFace, startMetricsServer } from '@girok/kit/http';
import { createLogger, type Logger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { startCallerAuthenticator } from '@girok/kit/rpc';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { auditModule } from './app.module.ts';
import type { AuditConfig } from './config.ts';
import { type AuditRow, auditRowOf } from './dtos/audit.dto.ts';
import { AuditGrpcHandlers } from './grpc/audit.grpc.ts';
import { AuditEventRepository } from './repositories/audit-event.repository.ts';
import type { AuditStore } from './repositories/audit-store.ts';
import {
  BusDsrAnswerPublisher,
  type DsrAnswerPublisher,
  KafkaDsrAnswerPublisher,
} from './repositories/dsr-answer.publisher.ts';
import { KafkaBatchConsumer } from './repositories/kafka-batch-consumer.ts';
import { LocalAuditEventRepository } from './repositories/local-audit-event.repository.ts';
import type { AuditDatabase } from './schema/database.ts';
import { AuditWriter } from './services/audit-writer.ts';
import { DsrService } from './services/dsr.service.ts';
import { LocalAuditIngest } from './services/local-audit-ingest.ts';
import { RetentionService, retentionPolicyOf } from './services/retention.service.ts';
import { type Clock, systemClock } from './tokens.ts';

const OPEN_API = {
  title: 'Girok audit-service',
  version: 'v1',
  description:
    'The security audit trail: login history, admin actions and per-account trails, and the ' +
    'retention policy. Each /v1 route is the JSON face of an AuditService RPC (girok.audit.v1) ' +
    'behind the access it declares. Reads answer degraded=true with an empty page while ClickHouse ' +
    'is unavailable. Errors are RFC 9457 problem+json with a stable code.',
};

export interface RunningAuditService {
  readonly httpUrl: string;
  /** `/metrics`, on its own port. */
  readonly metricsUrl: string;
  readonly grpcAddress: string;
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  /** The service's metrics (also served at `metricsUrl`). */
  readonly registry: Registry;
  /**
   * Graceful: stops taking requests and events, writes what is buffered (an event whose batch
   * cannot be written stays uncommitted on Kafka for the next consumer), closes the clients.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Local mode (no KAFKA_BROKERS): the bus the platform's events travel on in this process. */
  readonly bus?: InProcessBus;
  readonly clock?: Clock;
}

/** The store the configuration names, and how to close what it opened. */
async function openStore(
  config: AuditConfig,
): Promise<{ store: AuditStore; name: string; close(): Promise<void> }> {
  if (config.store.kind === 'local') {
    const db = createDatabase<AuditDatabase>({ url: config.store.databaseUrl });
    const store = new LocalAuditEventRepository(db);
    // In this process, so not an outage to ride out: a data directory that cannot be opened fails
    // start-up, as the other services' migrations do. Creating one takes seconds (PGlite's
    // initdb), more than a per-call timeout is meant for.
    await store.ensureSchema().catch(async (error: unknown) => {
      await db.destroy().catch(() => {});
      throw error;
    });
    return { store, name: 'audit-local-store', close: () => db.destroy() };
  }
  const clickhouse = createClient({
    url: config.store.url,
    // The policy's timeout aborts first; this only bounds a request the policy no longer waits on.
    request_timeout: config.storePolicy.timeoutMs + 1_000,
    max_open_connections: config.store.maxConnections,
    // Failures are the policy's to log (once per outage, with the breaker's state), not the driver's.
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    store: new AuditEventRepository(clickhouse, config.store.database),
    name: 'clickhouse',
    close: () => clickhouse.close(),
  };
}

/**
 * Starts audit-service: the store's table (ClickHouse if it answers, otherwise the first write
 * creates it; in local mode the embedded store), REST + gRPC, the audit-event consumer feeding the
 * batch writer, the DSR participant and the retention timer. Everything it opens, `close()` shuts
 * in reverse order.
 */
export async function startAuditService(
  config: AuditConfig,
  options: StartOptions = {},
): Promise<RunningAuditService> {
  const logger = options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const registry = new Registry();
  const opened = await openStore(config);
  const store = opened.store;
  const policy = createPolicy({
    name: opened.name,
    timeoutMs: config.storePolicy.timeoutMs,
    retry: { maxRetries: config.storePolicy.retries },
    breaker: config.storePolicy.breaker,
    registry,
    logger,
  });
  const writer = new AuditWriter({
    store,
    policy,
    batchSize: config.batch.size,
    lingerMs: config.batch.lingerMs,
    concurrency: config.batch.concurrency,
    logger,
    registry,
  });
  try {
    await policy.execute((signal) => store.ensureSchema(signal));
    writer.markSchemaReady();
  } catch (error) {
    // Reads answer degraded and writes wait (and create the table) until the store is back.
    logger.warn(
      { err: error, store: opened.name },
      'audit store unavailable at start-up; the table is created on the first write',
    );
  }

  // Ready once both consumers run (set below), and no longer while closing.
  let consumersRunning = false;
  const app = await createServiceApp(auditModule({ config, store, policy, logger, registry, clock }), {
    logger,
    registry,
    // Not the store: while ClickHouse is down this replica still answers (degraded reads) and
    // keeps its place in the consumer group; the breaker gauge is the signal of the outage.
    readiness: [{ name: 'consumers', check: async () => assertThat(consumersRunning) }],
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
  const services = [{ service: AuditService, handlers: app.get(AuditGrpcHandlers).handlers }];
  mountRestFace(app, { services, callers, logger, openApi: OPEN_API });
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  const metrics = await startMetricsServer(registry, config.host, config.callers.metricsPort);
  const grpc: GrpcServer = createGrpcServer({ logger, services, callers });
  const grpcPort = await grpc.listen(config.host, config.grpcPort);

  const kafka = config.kafka.brokers.length > 0 ? kafkaClient(config.kafka, config.serviceName) : undefined;
  const bus = kafka === undefined ? (options.bus ?? new InProcessBus(logger)) : undefined;
  const publisher: DsrAnswerPublisher =
    kafka !== undefined
      ? new KafkaDsrAnswerPublisher(kafka, logger)
      : new BusDsrAnswerPublisher(bus as InProcessBus);
  const dsr = new DsrService({
    store,
    policy,
    publisher,
    topic: config.topics.dsr,
    retention: retentionPolicyOf(config),
    exportMaxBytes: config.dsr.exportMaxBytes,
    clock,
    logger,
  });

  const retryTimings = {
    retryInitialMs: config.consumer.retryInitialMs,
    retryMaxMs: config.consumer.retryMaxMs,
  };
  const consumerTimings = {
    ...retryTimings,
    sessionTimeoutMs: config.consumer.sessionTimeoutMs,
    heartbeatIntervalMs: Math.min(3_000, Math.floor(config.consumer.sessionTimeoutMs / 10)),
  };
  let stopEvents: () => Promise<void>;
  let dsrConsumer: EventConsumer;
  if (kafka !== undefined) {
    const events = new KafkaBatchConsumer<AuditRow>({
      kafka,
      groupId: config.consumer.groupId,
      topics: [config.topics.events],
      logger,
      registry,
      decode: (record) => auditRowOf(record, new Date()),
      maxBatchSize: config.batch.size,
      partitionsConsumedConcurrently: config.consumer.partitionsConcurrently,
      ...consumerTimings,
    });
    await events.start((rows) => writer.write(rows));
    stopEvents = () => events.stop();
    dsrConsumer = new KafkaEventConsumer({
      kafka,
      groupId: config.consumer.dsrGroupId,
      topics: [config.topics.dsr],
      logger,
      registry,
      fromBeginning: true,
      ...consumerTimings,
    });
  } else {
    const localBus = bus as InProcessBus;
    const ingest = new LocalAuditIngest({ writer, logger, ...retryTimings });
    const events = new LocalEventConsumer({ bus: localBus, topics: [config.topics.events] });
    await events.start(ingest.handle);
    stopEvents = async () => {
      await events.stop();
      await ingest.stop();
    };
    dsrConsumer = new LocalEventConsumer({ bus: localBus, topics: [config.topics.dsr] });
  }
  await dsrConsumer.start(dsr.handle);
  consumersRunning = true;

  const retention = app.get(RetentionService);
  const retentionTimer =
    config.retention.intervalMs > 0
      ? setInterval(() => {
          retention
            .apply(false)
            .catch((error: unknown) => logger.warn({ err: error }, 'applying the retention policy failed'));
        }, config.retention.intervalMs)
      : undefined;
  retentionTimer?.unref();

  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  logger.info(
    {
      http: httpPort,
      grpc: grpcPort,
      metrics: metrics.port,
      mode: kafka === undefined ? 'local' : 'kafka',
      store: config.store.kind,
    },
    'audit-service started',
  );
  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${host}:${httpPort}`,
    metricsUrl: `http://${host}:${metrics.port}/metrics`,
    grpcAddress: `${host}:${grpcPort}`,
    app,
    logger,
    registry,
    close: () => {
      closing ??= (async () => {
        clearInterval(retentionTimer);
        consumersRunning = false;
        await Promise.all([
          grpc.shutdown(config.shutdownGraceMs),
          app.close(),
          stopEvents(),
          dsrConsumer.stop(),
        ]);
        await writer
          .close()
          .catch((error: unknown) => logger.warn({ err: error }, 'final audit batch not written'));
        await publisher.close();
        await running.stop();
        await metrics.close();
        await opened.close();
      })();
      return closing;
    },
  };
}

function assertThat(condition: boolean): void {
  if (!condition) throw new Error('not ready');
}
