import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Development secrets of local mode, made on the first run and kept beside the local data. */
interface LocalSecrets {
  readonly identityKeyRing: string;
  readonly identityBackupCodePepper: string;
}

export interface LocalPlatformConfig {
  readonly dataDir: string;
  readonly logLevel: string;
  /** Each service's environment, as its own config.ts reads it. */
  readonly identity: Record<string, string>;
}

function localSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    identityKeyRing: `local:${randomBytes(32).toString('base64')}`,
    identityBackupCodePepper: randomBytes(32).toString('base64'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/**
 * Local mode (DESIGN §6): PostgreSQL through PGlite in `GIROK_DATA_DIR` (default `.girok/data`),
 * no VALKEY_URL (in-memory cache), no KAFKA_BROKERS (in-process bus), standard ports unless
 * `IDENTITY_HTTP_PORT` / `IDENTITY_GRPC_PORT` say otherwise.
 */
export function loadLocalPlatformConfig(
  env: Readonly<Record<string, string | undefined>>,
): LocalPlatformConfig {
  const dataDir = path.resolve(env.GIROK_DATA_DIR ?? '.girok/data');
  const secrets = localSecrets(dataDir);
  const logLevel = env.LOG_LEVEL ?? 'info';
  return {
    dataDir,
    logLevel,
    identity: {
      DATABASE_URL: `pglite://${path.join(dataDir, 'identity')}`,
      IDENTITY_KEY_RING: secrets.identityKeyRing,
      IDENTITY_BACKUP_CODE_PEPPER: secrets.identityBackupCodePepper,
      HOST: '127.0.0.1',
      HTTP_PORT: env.IDENTITY_HTTP_PORT ?? '3000',
      GRPC_PORT: env.IDENTITY_GRPC_PORT ?? '50051',
      LOG_LEVEL: logLevel,
    },
  };
}
