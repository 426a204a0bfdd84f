import { WORKLOAD_NAMES } from '@girok/contracts/access';
import type { ConfigReader } from '../config/config-reader.ts';

/** How a service verifies its callers' workload tokens and where it finds its own. */
export interface WorkloadConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: string;
  readonly caFile?: string;
  readonly bearerTokenFile?: string;
  readonly namespace: string;
  readonly serviceAccountPrefix: string;
  /** Every component of the contract (`@girok/contracts/access`). */
  readonly components: readonly string[];
  /**
   * The projected ServiceAccount token this service calls others with; unset where a service makes
   * no workload calls or local mode hands it a LocalWorkloadIssuer source instead.
   */
  readonly tokenFile?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PREFIX = /^([a-z0-9][-a-z0-9.]*)?$/;

/**
 * Reads WORKLOAD_ISSUER, WORKLOAD_AUDIENCE (default girok), WORKLOAD_JWKS_URL,
 * WORKLOAD_JWKS_CA_FILE, WORKLOAD_JWKS_TOKEN_FILE, WORKLOAD_NAMESPACE,
 * WORKLOAD_SERVICE_ACCOUNT_PREFIX (default '') and WORKLOAD_TOKEN_FILE; problems are recorded on
 * `reader`, whose `done()` the service calls after reading the rest of its config.
 */
export function readWorkloadConfig(reader: ConfigReader): WorkloadConfig {
  const issuer = reader.string('WORKLOAD_ISSUER');
  const audience = reader.string('WORKLOAD_AUDIENCE', 'girok');
  const jwks = reader.string('WORKLOAD_JWKS_URL');
  if (jwks !== '' && !/^(https|file):\/\//.test(jwks)) {
    reader.problem('WORKLOAD_JWKS_URL must be an https:// or file:// URL');
  }
  const namespace = reader.string('WORKLOAD_NAMESPACE');
  if (namespace !== '' && !DNS_LABEL.test(namespace)) {
    reader.problem('WORKLOAD_NAMESPACE must be a Kubernetes namespace name (a-z 0-9 -)');
  }
  const serviceAccountPrefix = reader.optionalString('WORKLOAD_SERVICE_ACCOUNT_PREFIX') ?? '';
  if (!PREFIX.test(serviceAccountPrefix)) {
    reader.problem(
      'WORKLOAD_SERVICE_ACCOUNT_PREFIX must be the start of a ServiceAccount name (a-z 0-9 - .)',
    );
  }
  const caFile = reader.optionalString('WORKLOAD_JWKS_CA_FILE');
  const bearerTokenFile = reader.optionalString('WORKLOAD_JWKS_TOKEN_FILE');
  const tokenFile = reader.optionalString('WORKLOAD_TOKEN_FILE');
  return {
    issuer,
    audience,
    jwks,
    ...(caFile === undefined ? {} : { caFile }),
    ...(bearerTokenFile === undefined ? {} : { bearerTokenFile }),
    namespace,
    serviceAccountPrefix,
    components: WORKLOAD_NAMES,
    ...(tokenFile === undefined ? {} : { tokenFile }),
  };
}
