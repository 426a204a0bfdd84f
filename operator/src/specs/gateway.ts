import type { KubernetesObject } from '@kubernetes/client-node';
import { instanceLabels, type PlatformView } from './platform-view.ts';

export const GATEWAY_API = 'gateway.networking.k8s.io/v1';

/** A Gateway API object; the client library has no types for them. */
export interface GatewayApiObject extends KubernetesObject {
  spec: Record<string, unknown>;
}

const enabled = (view: PlatformView) => view.platform.spec.gateway?.enabled === true;
const meta = (view: PlatformView, name: string) => ({
  name,
  namespace: view.namespace,
  labels: instanceLabels(view),
  ownerReferences: [view.owner],
});

/** The HTTPS Gateway for the gRPC, REST and BFF hosts; undefined when the spec does not enable it. */
export function platformGateway(view: PlatformView): GatewayApiObject | undefined {
  if (!enabled(view)) return undefined;
  const tls = view.platform.spec.gateway?.tlsSecretName ?? '';
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
      gatewayClassName: view.platform.spec.gateway?.className ?? 'cilium',
      listeners: [
        listener('grpc', view.hosts.grpc),
        listener('api', view.hosts.api),
        listener('bff', view.hosts.bff),
      ],
    },
  };
}

const parent = (view: PlatformView, sectionName: string) => ({
  group: 'gateway.networking.k8s.io',
  kind: 'Gateway',
  name: view.name,
  sectionName,
});

/** One rule per proto service, matched exactly, to the gRPC port of the component that serves it. */
export function grpcRoute(view: PlatformView): GatewayApiObject | undefined {
  if (!enabled(view)) return undefined;
  const rules = view.components.flatMap((c) =>
    c.grpcPort === undefined
      ? []
      : c.grpcServices.map((service) => ({
          matches: [{ method: { type: 'Exact', service } }],
          backendRefs: [{ group: '', kind: 'Service', name: c.objectName, port: c.grpcPort, weight: 1 }],
        })),
  );
  return {
    apiVersion: GATEWAY_API,
    kind: 'GRPCRoute',
    metadata: meta(view, `${view.name}-grpc`),
    spec: { parentRefs: [parent(view, 'grpc')], hostnames: [view.hosts.grpc], rules },
  };
}

/** REST of every service under its path prefix on the API host. */
export function apiRoute(view: PlatformView): GatewayApiObject | undefined {
  if (!enabled(view)) return undefined;
  const rules = view.components
    .filter((c) => c.restPrefix !== undefined)
    .map((c) => ({
      matches: [{ path: { type: 'PathPrefix', value: c.restPrefix } }],
      filters: [
        { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
      ],
      backendRefs: [{ group: '', kind: 'Service', name: c.objectName, port: c.restPort, weight: 1 }],
    }));
  return {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: meta(view, `${view.name}-api`),
    spec: { parentRefs: [parent(view, 'api')], hostnames: [view.hosts.api], rules },
  };
}

export function bffRoute(view: PlatformView): GatewayApiObject | undefined {
  const bff = view.components.find((c) => c.key === 'authBff');
  if (!enabled(view) || !bff) return undefined;
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
