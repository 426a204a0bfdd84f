import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { hostAddress } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { ensureMavenClasspath } from '../install/maven.ts';
import { exec, startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { versions } from '../versions.ts';

const POM = fileURLToPath(new URL('../../../kafka-runtime/pom.xml', import.meta.url));
const libDir = (ctx: ServerContext) => path.join(toolDir(ctx, 'kafka', versions.kafka), 'libs');
const brokers = (ctx: ServerContext) => `127.0.0.1:${ctx.config.ports.kafka}`;

// One node that is both broker and controller, with a static quorum (no --standalone needed).
const serverProperties = (ctx: ServerContext, dataDir: string) => {
  const { kafka, kafkaController, kafkaHost } = ctx.config.ports;
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${kafkaController}
listeners=PLAINTEXT://127.0.0.1:${kafka},PODS://${hostAddress}:${kafkaHost},CONTROLLER://127.0.0.1:${kafkaController}
advertised.listeners=PLAINTEXT://127.0.0.1:${kafka},PODS://${hostAddress}:${kafkaHost}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PODS:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
`;
};

const log4jProperties = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO
`;

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid`
 * prints). One in 64 starts with `-`, so it is passed as `--cluster-id=<id>`, never as a separate
 * argument the option parser would read as a flag.
 */
const clusterId = () => randomBytes(16).toString('base64url');

export const kafka: ServerDef = {
  name: 'kafka',
  summary: `Apache Kafka ${versions.kafka} in KRaft mode (Maven Central jars; stands in for Redpanda)`,
  needs: [],
  externalVar: 'KAFKA_BROKERS',
  ports: (ctx) => [ctx.config.ports.kafka, ctx.config.ports.kafkaController],
  async install(ctx) {
    await ensureDebianPackages(ctx.progress, [
      { package: 'openjdk-17-jre-headless', provides: '/usr/bin/java' },
      { package: 'maven', provides: '/usr/bin/mvn' },
    ]);
    await ensureMavenClasspath(ctx.progress, {
      what: `Kafka ${versions.kafka}`,
      pom: POM,
      properties: { 'kafka.version': versions.kafka },
      libDir: libDir(ctx),
    });
  },
  async start(ctx) {
    const dir = serverDir(ctx, 'kafka');
    const props = path.join(dir, 'server.properties');
    const log4j = path.join(dir, 'log4j.properties');
    fs.writeFileSync(props, serverProperties(ctx, path.join(dir, 'data')));
    fs.writeFileSync(log4j, log4jProperties);
    await ensureHostAddress();
    const java = ['-Xms256m', '-Xmx768m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${libDir(ctx)}/*`];
    // A resumed broker keeps its formatted log dirs (Infra.resume); a fresh one is formatted.
    if (!fs.existsSync(path.join(dir, 'data', 'meta.properties')))
      await exec(
        'java',
        [...java, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId()}`, '-c', props],
        {
          logFile: logFile(ctx, 'kafka'),
        },
      );
    return startDaemon('java', [...java, 'kafka.Kafka', props], {
      logFile: logFile(ctx, 'kafka'),
      pidFile: pidFile(ctx, 'kafka'),
    });
  },
  async ready(ctx) {
    const admin = new Kafka({
      brokers: [brokers(ctx)],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
  startTimeoutMs: 90_000,
  // Pods use the listener at the host address (each listener hands out its own advertised address).
  env: (ctx) => ({
    KAFKA_BROKERS: brokers(ctx),
    KAFKA_POD_BROKERS: `${hostAddress}:${ctx.config.ports.kafkaHost}`,
  }),
};
