import type { DescService } from '@bufbuild/protobuf';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import type { ComponentKey } from '../api/platform.ts';

/** What the operator knows about each component of the platform: data, not code. */
export interface Component {
  readonly key: ComponentKey;
  /** Kubernetes-facing name: `<platform>-<name>` for its objects, `<name>.svc-<env>.<domain>` in DNS. */
  readonly name: string;
  readonly image: string;
  readonly restPort: number;
  readonly grpcPort?: number;
  /** The proto services it serves: their access declarations decide the routes and the policies. */
  readonly grpcServices: readonly DescService[];
  /** The contract's name for this component's workload identity (`girok.common.v1.Workload`). */
  readonly workload: string;
  /** Environment variable that receives the database URL from the component's Secret. */
  readonly databaseEnv?: 'DATABASE_URL' | 'CLICKHOUSE_URL';
  /**
   * Secret values the operator generates once into `<platform>-<name>-keys` (secrets.ts): the
   * Secret's key, the environment variable the service's config.ts reads, and its format.
   */
  readonly generatedKeys?: readonly GeneratedKey[];
  /** Keeps short-lived state shared by its replicas in Valkey (`VALKEY_URL`). */
  readonly usesValkey?: boolean;
  /**
   * Verifies end users' access tokens though it serves no contract (the BFF): it needs auth's JWKS.
   * A component serving a USER or PERMISSION method needs it by its contract.
   */
  readonly verifiesUserTokens?: boolean;
}

/** `key-ring`: `kid:base64(32 bytes)` as the kit's KeyRing.parse reads it; `pepper`: base64(32 bytes). */
export interface GeneratedKey {
  readonly key: string;
  readonly env: string;
  readonly format: 'key-ring' | 'pepper';
}

export const components: readonly Component[] = [
  {
    key: 'identity',
    name: 'identity',
    image: 'identity-service',
    restPort: 3000,
    grpcPort: 50051,
    grpcServices: [IdentityService],
    workload: 'identity-service',
    databaseEnv: 'DATABASE_URL',
    generatedKeys: [
      { key: 'key-ring', env: 'IDENTITY_KEY_RING', format: 'key-ring' },
      { key: 'backup-code-pepper', env: 'IDENTITY_BACKUP_CODE_PEPPER', format: 'pepper' },
    ],
    usesValkey: true,
  },
  {
    key: 'auth',
    name: 'auth',
    image: 'auth-service',
    restPort: 3001,
    grpcPort: 50052,
    grpcServices: [AuthService],
    workload: 'auth-service',
    databaseEnv: 'DATABASE_URL',
    generatedKeys: [{ key: 'key-ring', env: 'AUTH_KEY_RING', format: 'key-ring' }],
  },
  {
    key: 'legal',
    name: 'legal',
    image: 'legal-service',
    restPort: 3005,
    grpcPort: 50053,
    grpcServices: [LegalService],
    workload: 'legal-service',
    databaseEnv: 'DATABASE_URL',
    generatedKeys: [{ key: 'erasure-pepper', env: 'LEGAL_ERASURE_PEPPER', format: 'pepper' }],
  },
  {
    key: 'authBff',
    name: 'auth-bff',
    image: 'auth-bff',
    restPort: 4000,
    grpcServices: [],
    workload: 'auth-bff',
    verifiesUserTokens: true,
    generatedKeys: [{ key: 'key-ring', env: 'BFF_KEY_RING', format: 'key-ring' }],
    usesValkey: true,
  },
  {
    key: 'audit',
    name: 'audit',
    image: 'audit-service',
    restPort: 3010,
    grpcPort: 50054,
    grpcServices: [AuditService],
    workload: 'audit-service',
    databaseEnv: 'CLICKHOUSE_URL',
  },
];

/** Where every component serves Prometheus metrics (`METRICS_PORT`): a port the Gateway never routes. */
export const METRICS_PORT = 9464;
