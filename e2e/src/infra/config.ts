import os from 'node:os';
import path from 'node:path';

/** The connection settings a suite reads; each one, when already set, names a server to use instead of starting one. */
export const connectionVars = [
  'DATABASE_URL',
  'VALKEY_URL',
  'CLICKHOUSE_URL',
  'KAFKA_BROKERS',
  'KUBECONFIG',
  'COREDNS_ADDR',
] as const;
export type ConnectionVar = (typeof connectionVars)[number];

export interface InfraConfig {
  /** Installed and built binaries, keyed by version; survives between runs. */
  readonly cacheDir: string;
  /** Data, logs and pid files of the running servers; thrown away on each start. */
  readonly runDir: string;
  /** Leave the servers a test run started running after it ends (faster next run). */
  readonly keepRunning: boolean;
  /** Servers that already exist, from the environment. */
  readonly external: Readonly<Partial<Record<ConnectionVar, string>>>;
  /** Fixed loopback ports, away from the services' own (3000-4000, 50051-50054) and the usual defaults. */
  readonly ports: Readonly<Record<keyof typeof defaultPorts, number>>;
}

/**
 * The host's own address that Pods on the real node reach the harness's servers at (on `lo`; see
 * host-address.ts). The servers Pods use listen here as well as on 127.0.0.1.
 */
export const hostAddress = '10.250.0.1';
/** The real node's Pod range (kwok hands out fake 10.244.x addresses, so the real node keeps away from them). */
export const podCidr = '10.85.0.0/16';
/** The API server's Service range; the cluster DNS Service takes a fixed address in it. */
export const serviceCidr = '10.96.0.0/16';
export const clusterDnsIp = '10.96.0.10';

export const defaultPorts = {
  postgres: 15432,
  valkey: 16379,
  clickhouseHttp: 18123,
  clickhouseTcp: 19000,
  kafka: 19092,
  kafkaController: 19093,
  /** The Kafka listener Pods use, advertised at the host address. */
  kafkaHost: 19094,
  etcdClient: 12379,
  etcdPeer: 12380,
  kubeApiserver: 16443,
  kubeControllerManager: 17257,
  kubeScheduler: 17259,
  kwok: 17247,
  coredns: 1053,
  kubelet: 17250,
  kubeletHealthz: 17251,
  kubeProxyHealthz: 17252,
  kubeProxyMetrics: 17253,
} as const;

export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const external: Partial<Record<ConnectionVar, string>> = {};
  for (const name of connectionVars) {
    const value = env[name]?.trim();
    if (value) external[name] = value;
  }
  return {
    cacheDir: env.GIROK_CACHE_DIR || path.join(cacheHome, 'girok'),
    // Under /tmp rather than the home folder: PostgreSQL runs as its own user and must reach its data.
    runDir: env.GIROK_INFRA_DIR || path.join(os.tmpdir(), `girok-infra-${uid}`),
    keepRunning: parseFlag(env.GIROK_INFRA_KEEP, 'GIROK_INFRA_KEEP'),
    external,
    ports: shiftedPorts(env.GIROK_INFRA_PORT_OFFSET),
  };
}

/**
 * GIROK_INFRA_PORT_OFFSET moves every port by the same amount, so a second harness (its own
 * GIROK_INFRA_DIR) can run beside a shared one on the same machine.
 */
function shiftedPorts(value: string | undefined): Record<keyof typeof defaultPorts, number> {
  const offset = value === undefined || value === '' ? 0 : Number(value);
  if (!Number.isInteger(offset) || offset < 0 || offset > 20_000)
    throw new Error(`GIROK_INFRA_PORT_OFFSET must be a whole number from 0 to 20000, got "${value}"`);
  const entries = Object.entries(defaultPorts).map(([name, port]) => [name, port + offset]);
  return Object.fromEntries(entries) as Record<keyof typeof defaultPorts, number>;
}

function parseFlag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name} must be 1/true or 0/false, got "${value}"`);
}
