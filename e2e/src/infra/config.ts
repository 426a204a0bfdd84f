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
  readonly ports: Readonly<typeof defaultPorts>;
}

export const defaultPorts = {
  postgres: 15432,
  valkey: 16379,
  clickhouseHttp: 18123,
  clickhouseTcp: 19000,
  kafka: 19092,
  kafkaController: 19093,
  etcdClient: 12379,
  etcdPeer: 12380,
  kubeApiserver: 16443,
  kubeControllerManager: 17257,
  kubeScheduler: 17259,
  kwok: 17247,
  coredns: 1053,
  /** Traefik's own API (ping); its entrypoints listen on the host address's 443 and 80. */
  gatewayAdmin: 18088,
} as const;

/** The host's address on `lo` that Pods reach host processes at (see host-address.ts). */
export const hostAddress = '10.250.0.1';

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
    ports: defaultPorts,
  };
}

function parseFlag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name} must be 1/true or 0/false, got "${value}"`);
}
