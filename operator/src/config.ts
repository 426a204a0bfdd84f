import os from 'node:os';

/** The operator's settings, parsed once at start-up; a bad value stops it with the variable's name. */
export interface OperatorConfig {
  /** Kubeconfig path; empty means in-cluster service-account credentials. */
  readonly kubeconfig: string;
  readonly clusterDomain: string;
  readonly dryRun: boolean;
  readonly resyncMs: number;
  readonly concurrency: number;
  readonly metricsPort: number;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  /** This process's identity in the Lease (the Pod name in a cluster). */
  readonly identity: string;
  readonly leaseDurationMs: number;
}

const int = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
};

const bool = (env: NodeJS.ProcessEnv, name: string): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`${name} must be true or false, got "${raw}"`);
};

export function loadOperatorConfig(
  env: NodeJS.ProcessEnv = process.env,
  hostname = os.hostname(),
): OperatorConfig {
  return {
    kubeconfig: env.KUBECONFIG ?? '',
    clusterDomain: env.GIROK_CLUSTER_DOMAIN || 'cluster.local',
    dryRun: bool(env, 'GIROK_DRY_RUN'),
    resyncMs: int(env, 'GIROK_RESYNC_SECONDS', 300, 5, 86_400) * 1000,
    concurrency: int(env, 'GIROK_CONCURRENCY', 4, 1, 64),
    metricsPort: int(env, 'GIROK_METRICS_PORT', 8080, 0, 65_535),
    leaseNamespace: env.GIROK_LEASE_NAMESPACE || env.POD_NAMESPACE || 'girok-system',
    leaseName: env.GIROK_LEASE_NAME || 'girok-operator',
    identity: env.POD_NAME || `${hostname}-${process.pid}`,
    leaseDurationMs: int(env, 'GIROK_LEASE_SECONDS', 15, 2, 300) * 1000,
  };
}
