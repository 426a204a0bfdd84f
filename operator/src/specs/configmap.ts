import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { METRICS_PORT } from './catalogue.ts';
import { verifiesUserTokens } from './contract.ts';
import {
  componentLabels,
  type PlatformView,
  type ResolvedComponent,
  serviceAccountPrefix,
} from './platform-view.ts';

/** The audience of the workload tokens: a token minted for the API server is refused by the components. */
export const WORKLOAD_AUDIENCE = 'girok';
/** Where the kubelet projects the component's `girok` token (deployment.ts mounts it). */
export const WORKLOAD_TOKEN_DIR = '/var/run/secrets/girok';
/** Where the component's API-server token and the cluster CA are mounted, to read the issuer's keys. */
export const API_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How a component proves who it is to its peers and checks who calls it. */
const workloadIdentity = (view: PlatformView) => ({
  WORKLOAD_TOKEN_FILE: `${WORKLOAD_TOKEN_DIR}/token`,
  WORKLOAD_AUDIENCE,
  WORKLOAD_ISSUER: view.workloadIssuer,
  WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
  WORKLOAD_JWKS_CA_FILE: `${API_TOKEN_DIR}/ca.crt`,
  WORKLOAD_JWKS_TOKEN_FILE: `${API_TOKEN_DIR}/token`,
  WORKLOAD_NAMESPACE: view.namespace,
  WORKLOAD_SERVICE_ACCOUNT_PREFIX: serviceAccountPrefix(view.name),
});

/** auth-service's JWKS inside the cluster, for the components that verify end users' tokens. */
const jwksUrl = (view: PlatformView, c: ResolvedComponent): Record<string, string> => {
  const auth = view.components.find((p) => p.key === 'auth');
  return auth && auth.key !== c.key && verifiesUserTokens(c)
    ? { AUTH_JWKS_URL: `http://${auth.host}:${auth.restPort}/.well-known/jwks.json` }
    : {};
};

/**
 * The BFF's browser-facing settings: the origins its WebSockets accept (its public host unless the
 * spec lists them), the explorer, the sign-up limit, and X-Forwarded-For believed only from the
 * Gateway's addresses the spec lists.
 */
const bffSettings = (view: PlatformView, c: ResolvedComponent): Record<string, string> => {
  if (c.key !== 'authBff') return {};
  const proxies = view.spec.gateway.trustedProxies;
  const { graphqlExplorer, signUpRateLimit } = view.spec.bff;
  return {
    BFF_ALLOWED_ORIGINS: view.bffAllowedOrigins.join(','),
    BFF_GRAPHQL_EXPLORER: String(graphqlExplorer),
    BFF_SIGNUP_RATE_LIMIT_PER_IP: String(signUpRateLimit.perIp),
    BFF_SIGNUP_RATE_LIMIT_WINDOW_MS: String(signUpRateLimit.windowMs),
    ...(proxies.length > 0 ? { BFF_TRUSTED_PROXIES: proxies.join(',') } : {}),
  };
};

/** The brokers, the platform's topic and group prefix, and the SASL mechanism (the credentials come from a Secret). */
const kafka = (view: PlatformView): Record<string, string> => {
  const { events } = view.spec;
  if (!events) return {};
  return {
    KAFKA_BROKERS: events.brokers.join(','),
    KAFKA_TOPIC_PREFIX: view.topicPrefix,
    ...(events.authSecretName ? { KAFKA_SASL_MECHANISM: events.saslMechanism } : {}),
  };
};

/**
 * The non-secret settings of one component, read by its container as environment variables. Peers
 * are reached by their `<name>.svc-<env>.<domain>` names, which the platform's CoreDNS snippet
 * rewrites to their Services.
 */
export function componentConfigMap(view: PlatformView, c: ResolvedComponent): V1ConfigMap {
  const peers = Object.fromEntries(
    view.components
      .filter((p) => p.grpcPort !== undefined)
      .map((p) => [`${p.name.toUpperCase().replaceAll('-', '_')}_GRPC_ADDRESS`, `${p.host}:${p.grpcPort}`]),
  );
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${c.objectName}-config`,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      ownerReferences: [view.owner],
    },
    data: {
      GIROK_ENVIRONMENT: view.environment,
      // The names each service's config.ts reads.
      HTTP_PORT: String(c.restPort),
      ...(c.grpcPort === undefined ? {} : { GRPC_PORT: String(c.grpcPort) }),
      METRICS_PORT: String(METRICS_PORT),
      ...kafka(view),
      ...peers,
      ...jwksUrl(view, c),
      ...workloadIdentity(view),
      ...bffSettings(view, c),
    },
  };
}

/** Stable hash of a ConfigMap's data: put on the Pod template so a config change rolls the Pods. */
export const configHash = (cm: V1ConfigMap): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(cm.data ?? {}).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);
