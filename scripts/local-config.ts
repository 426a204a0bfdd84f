import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The `iss` of local mode's workload tokens. */
export const LOCAL_WORKLOAD_ISSUER = 'https://girok.local/workload-issuer';

/** Development secrets of local mode, made on the first run and kept beside the local data. */
interface LocalSecrets {
  readonly identityKeyRing: string;
  readonly identityBackupCodePepper: string;
  readonly authKeyRing: string;
  readonly bffKeyRing: string;
  readonly legalErasurePepper: string;
}

export interface LocalPlatformConfig {
  readonly dataDir: string;
  /** Where local mode's workload issuer keeps its key (the cluster's service-account issuer's stand-in). */
  readonly workloadIssuerDir: string;
  readonly logLevel: string;
  /** Each service's environment, as its own config.ts reads it. */
  readonly identity: Record<string, string>;
  readonly auth: Record<string, string>;
  readonly legal: Record<string, string>;
  readonly audit: Record<string, string>;
  readonly bff: Record<string, string>;
}

function localSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  const kept = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>)
    : {};
  const keyRing = () => `local:${randomBytes(32).toString('base64')}`;
  // A data dir from an earlier version keeps its secrets and gains the new ones.
  const secrets: LocalSecrets = {
    identityKeyRing: kept.identityKeyRing ?? keyRing(),
    identityBackupCodePepper: kept.identityBackupCodePepper ?? randomBytes(32).toString('base64'),
    authKeyRing: kept.authKeyRing ?? keyRing(),
    bffKeyRing: kept.bffKeyRing ?? keyRing(),
    legalErasurePepper: kept.legalErasurePepper ?? randomBytes(32).toString('base64'),
  };
  if (Object.keys(kept).length === Object.keys(secrets).length) return secrets;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/**
 * Local mode (docs/architecture.md §6): PostgreSQL through PGlite in `GIROK_DATA_DIR` (default `.girok/data`),
 * no VALKEY_URL (in-memory cache), no KAFKA_BROKERS (in-process bus), no CLICKHOUSE_URL (audit in
 * its embedded store, PGlite too), the standard ports unless `<SERVICE>_HTTP_PORT` /
 * `<SERVICE>_GRPC_PORT` / `<SERVICE>_METRICS_PORT` (IDENTITY, AUTH, LEGAL, AUDIT, BFF) say
 * otherwise, and a local workload issuer in the data dir in place of the cluster's.
 */
export function loadLocalPlatformConfig(
  env: Readonly<Record<string, string | undefined>>,
): LocalPlatformConfig {
  const dataDir = path.resolve(env.GIROK_DATA_DIR ?? '.girok/data');
  const secrets = localSecrets(dataDir);
  const logLevel = env.LOG_LEVEL ?? 'info';
  const identityGrpcPort = env.IDENTITY_GRPC_PORT ?? '50051';
  const authHttpPort = env.AUTH_HTTP_PORT ?? '3001';
  const authGrpcPort = env.AUTH_GRPC_PORT ?? '50052';
  const legalGrpcPort = env.LEGAL_GRPC_PORT ?? '50053';
  const auditGrpcPort = env.AUDIT_GRPC_PORT ?? '50054';
  const jwksUrl = `http://127.0.0.1:${authHttpPort}/.well-known/jwks.json`;
  const bffHttpPort = env.BFF_HTTP_PORT ?? '4000';
  const workloadIssuerDir = path.join(dataDir, 'workload-issuer');
  // Every service trusts the local issuer's tokens as a cluster's services trust its ServiceAccounts.
  const workload = (metricsPort: string) => ({
    WORKLOAD_ISSUER: LOCAL_WORKLOAD_ISSUER,
    WORKLOAD_JWKS_URL: pathToFileURL(path.join(workloadIssuerDir, 'workload-issuer.jwks.json')).href,
    WORKLOAD_NAMESPACE: 'local',
    METRICS_PORT: metricsPort,
  });
  return {
    dataDir,
    workloadIssuerDir,
    logLevel,
    identity: {
      ...workload(env.IDENTITY_METRICS_PORT ?? '9464'),
      DATABASE_URL: `pglite://${path.join(dataDir, 'identity')}`,
      IDENTITY_KEY_RING: secrets.identityKeyRing,
      IDENTITY_BACKUP_CODE_PEPPER: secrets.identityBackupCodePepper,
      AUTH_JWKS_URL: jwksUrl,
      HOST: '127.0.0.1',
      HTTP_PORT: env.IDENTITY_HTTP_PORT ?? '3000',
      GRPC_PORT: identityGrpcPort,
      LOG_LEVEL: logLevel,
    },
    auth: {
      ...workload(env.AUTH_METRICS_PORT ?? '9465'),
      DATABASE_URL: `pglite://${path.join(dataDir, 'auth')}`,
      AUTH_KEY_RING: secrets.authKeyRing,
      IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identityGrpcPort}`,
      AUTH_JWKS_URL: jwksUrl,
      HOST: '127.0.0.1',
      HTTP_PORT: authHttpPort,
      GRPC_PORT: authGrpcPort,
      LOG_LEVEL: logLevel,
    },
    legal: {
      ...workload(env.LEGAL_METRICS_PORT ?? '9466'),
      DATABASE_URL: `pglite://${path.join(dataDir, 'legal')}`,
      LEGAL_ERASURE_PEPPER: secrets.legalErasurePepper,
      IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identityGrpcPort}`,
      AUTH_JWKS_URL: jwksUrl,
      HOST: '127.0.0.1',
      HTTP_PORT: env.LEGAL_HTTP_PORT ?? '3005',
      GRPC_PORT: legalGrpcPort,
      LOG_LEVEL: logLevel,
    },
    audit: {
      ...workload(env.AUDIT_METRICS_PORT ?? '9467'),
      AUDIT_LOCAL_DATABASE_URL: `pglite://${path.join(dataDir, 'audit')}`,
      AUTH_JWKS_URL: jwksUrl,
      HOST: '127.0.0.1',
      HTTP_PORT: env.AUDIT_HTTP_PORT ?? '3010',
      GRPC_PORT: auditGrpcPort,
      LOG_LEVEL: logLevel,
    },
    bff: {
      ...workload(env.BFF_METRICS_PORT ?? '9468'),
      BFF_KEY_RING: secrets.bffKeyRing,
      IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identityGrpcPort}`,
      AUTH_GRPC_ADDRESS: `127.0.0.1:${authGrpcPort}`,
      LEGAL_GRPC_ADDRESS: `127.0.0.1:${legalGrpcPort}`,
      AUDIT_GRPC_ADDRESS: `127.0.0.1:${auditGrpcPort}`,
      AUTH_JWKS_URL: jwksUrl,
      BFF_ALLOWED_ORIGINS: `http://localhost:${bffHttpPort},http://127.0.0.1:${bffHttpPort}`,
      // A developer's own machine: the explorer and introspection are what it is for.
      BFF_GRAPHQL_EXPLORER: 'true',
      HOST: '127.0.0.1',
      HTTP_PORT: bffHttpPort,
      LOG_LEVEL: logLevel,
    },
  };
}
