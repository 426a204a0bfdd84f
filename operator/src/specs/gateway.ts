import type { KubernetesObject } from '@kubernetes/client-node';
import { isPublished, operationsOf } from './contract.ts';
import { instanceLabels, type PlatformView } from './platform-view.ts';

export const GATEWAY_API = 'gateway.networking.k8s.io/v1';

/** A Gateway API object; the client library has no types for them. */
export interface GatewayApiObject extends KubernetesObject {
  spec: Record<string, unknown>;
}

const meta = (view: PlatformView, name: string) => ({
  name,
  namespace: view.namespace,
  labels: instanceLabels(view),
  ownerReferences: [view.owner],
});

/** The HTTPS Gateway for the gRPC, REST and BFF hosts; undefined when the spec does not enable it. */
export function platformGateway(view: PlatformView): GatewayApiObject | undefined {
  if (!view.gatewayEnabled) return undefined;
  const tls = view.spec.gateway.tlsSecretName ?? '';
  const listener = (name: string, hostname: string) => ({
    name,
    hostname,
    port: 443,
    protocol: 'HTTPS',
    tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', group: '', name: tls }] },
    allowedRoutes: { namespaces: { from: 'Same' } },
  });
  return {
    apiVersion: GATEWAY_API,
    kind: 'Gateway',
    metadata: meta(view, view.name),
    spec: {
      gatewayClassName: view.spec.gateway.className,
      listeners: [
        listener('grpc', view.hosts.grpc),
        listener('api', view.hosts.api),
        listener('bff', view.hosts.bff),
      ],
    },
  };
}

interface GrpcRouteRule {
  matches: { method: { type: 'Exact'; service: string; method?: string } }[];
  backendRefs: { group: string; kind: string; name: string; port: number; weight: number }[];
}

/** Server reflection, both versions clients still speak. */
export const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

const parent = (view: PlatformView, sectionName: string) => ({
  group: 'gateway.networking.k8s.io',
  kind: 'Gateway',
  name: view.name,
  sectionName,
});

/**
 * One rule per component listing, method by method, the RPCs its contract publishes; a WORKLOADS
 * RPC is never routed, nor health (for the kubelet). gRPC reflection goes to the first component
 * that publishes anything: every component's reflection describes the whole published contract and
 * nothing else (the kit leaves the WORKLOADS RPCs out), so clients such as grpcurl work as is.
 */
export function grpcRoute(view: PlatformView): GatewayApiObject | undefined {
  if (!view.gatewayEnabled) return undefined;
  const rules: GrpcRouteRule[] = view.components.flatMap((c) => {
    const published = operationsOf(c).filter(isPublished);
    if (c.grpcPort === undefined || published.length === 0) return [];
    return [
      {
        matches: published.map((op) => ({
          method: { type: 'Exact', service: op.service, method: op.method },
        })),
        backendRefs: [{ group: '', kind: 'Service', name: c.objectName, port: c.grpcPort, weight: 1 }],
      },
    ];
  });
  const [first] = rules;
  if (first !== undefined) {
    rules.push({
      matches: REFLECTION_SERVICES.map((service) => ({ method: { type: 'Exact', service } })),
      backendRefs: first.backendRefs,
    });
  }
  return {
    apiVersion: GATEWAY_API,
    kind: 'GRPCRoute',
    metadata: meta(view, `${view.name}-grpc`),
    spec: { parentRefs: [parent(view, 'grpc')], hostnames: [view.hosts.grpc], rules },
  };
}

const escapeRegex = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `/v1/accounts/{account_id}` as an anchored regular expression: `{param}` is one path segment.
 * `query` admits a query string after it, for matchers that see the whole `:path` (Cilium's).
 */
export const pathRegex = (path: string, query = false): string =>
  `^${path
    .split(/\{\w+\}/)
    .map(escapeRegex)
    .join('[^/]+')}${query ? '(\\?.*)?' : ''}$`;

/** A contract path as a Gateway API path match: exact, or a regular expression when it has parameters. */
export const pathMatch = (path: string): { type: 'Exact' | 'RegularExpression'; value: string } =>
  /\{\w+\}/.test(path)
    ? { type: 'RegularExpression', value: pathRegex(path) }
    : { type: 'Exact', value: path };

/**
 * The REST face of every published RPC, path and verb exactly, on the API host. The paths go to
 * the service as the contract writes them: a prefix per service cannot be kept, because the
 * Gateway API rewrites a prefix only under a single PathPrefix match, and a prefix match would
 * also publish what lies under it (`POST /v1/accounts`, WORKLOADS, under the prefix of
 * `POST /v1/accounts/{account_id}/deletion`). The contract's paths are distinct across services
 * (a unit test keeps them so). `/metrics`, `/openapi.json` and `/health/*` are not routed.
 */
export function apiRoute(view: PlatformView): GatewayApiObject | undefined {
  if (!view.gatewayEnabled) return undefined;
  const rules = view.components.flatMap((c) => {
    const matches = operationsOf(c).flatMap((op) =>
      isPublished(op) && op.http ? [{ path: pathMatch(op.http.path), method: op.http.method }] : [],
    );
    return matches.length === 0
      ? []
      : [
          {
            matches,
            backendRefs: [{ group: '', kind: 'Service', name: c.objectName, port: c.restPort, weight: 1 }],
          },
        ];
  });
  return {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: meta(view, `${view.name}-api`),
    spec: { parentRefs: [parent(view, 'api')], hostnames: [view.hosts.api], rules },
  };
}

export function bffRoute(view: PlatformView): GatewayApiObject | undefined {
  const bff = view.components.find((c) => c.key === 'authBff');
  if (!view.gatewayEnabled || !bff) return undefined;
  return {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: meta(view, `${view.name}-bff`),
    spec: {
      parentRefs: [parent(view, 'bff')],
      hostnames: [view.hosts.bff],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ group: '', kind: 'Service', name: bff.objectName, port: bff.restPort, weight: 1 }],
        },
      ],
    },
  };
}
