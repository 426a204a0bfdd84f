import type { ComponentKey } from '../api/platform.ts';

/** What the operator knows about each component of the platform: data, not code. */
export interface Component {
  readonly key: ComponentKey;
  /** Kubernetes-facing name: `<platform>-<name>` for its objects, `<name>.svc-<env>.<domain>` in DNS. */
  readonly name: string;
  readonly image: string;
  readonly restPort: number;
  readonly grpcPort?: number;
  /** Fully-qualified proto services it serves; the GRPCRoute matches each one exactly. */
  readonly grpcServices: readonly string[];
  /** Environment variable that receives the database URL from the component's Secret. */
  readonly databaseEnv?: 'DATABASE_URL' | 'CLICKHOUSE_URL';
  /** Path prefix on the REST host. */
  readonly restPrefix?: string;
}

export const components: readonly Component[] = [
  {
    key: 'identity',
    name: 'identity',
    image: 'identity-service',
    restPort: 3000,
    grpcPort: 50051,
    grpcServices: ['girok.identity.v1.IdentityService'],
    databaseEnv: 'DATABASE_URL',
    restPrefix: '/identity',
  },
  {
    key: 'auth',
    name: 'auth',
    image: 'auth-service',
    restPort: 3001,
    grpcPort: 50052,
    grpcServices: ['girok.auth.v1.AuthService'],
    databaseEnv: 'DATABASE_URL',
    restPrefix: '/auth',
  },
  {
    key: 'legal',
    name: 'legal',
    image: 'legal-service',
    restPort: 3005,
    grpcPort: 50053,
    grpcServices: ['girok.legal.v1.LegalService'],
    databaseEnv: 'DATABASE_URL',
    restPrefix: '/legal',
  },
  { key: 'authBff', name: 'auth-bff', image: 'auth-bff', restPort: 4000, grpcServices: [] },
  {
    key: 'audit',
    name: 'audit',
    image: 'audit-service',
    restPort: 3010,
    grpcPort: 50054,
    grpcServices: ['girok.audit.v1.AuditService'],
    databaseEnv: 'CLICKHOUSE_URL',
    restPrefix: '/audit',
  },
];

export const DEFAULT_REPLICAS = 2;
