import type { KubernetesObject, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import type { PeerSelector } from '../api/platform.ts';
import { METRICS_PORT } from './catalogue.ts';
import {
  callersOf,
  grpcPath,
  isPublished,
  type Operation,
  operationsFor,
  operationsOf,
  verifiesUserTokens,
} from './contract.ts';
import { pathRegex } from './gateway.ts';
import {
  componentSelector,
  instanceLabels,
  type PlatformView,
  type ResolvedComponent,
} from './platform-view.ts';

// Ingress to the platform's Pods is denied except what the contract asks for: the Gateway to the
// published surface, each component's gRPC port to the workloads its contract names, auth's JWKS
// to the components that verify end users' tokens, and the metrics port to the monitoring the spec
// names. Egress (databases, brokers outside the cluster) is left alone.

const JWKS_PATH = '/.well-known/jwks.json';

const platformSelector = (view: PlatformView) => ({
  matchLabels: { 'app.kubernetes.io/part-of': 'girok', 'app.kubernetes.io/instance': view.name },
});
const meta = (view: PlatformView, name: string) => ({
  name,
  namespace: view.namespace,
  labels: instanceLabels(view),
  ownerReferences: [view.owner],
});

/** What may reach one component, each entry a set of peers and the ports (and, for Cilium, the calls) they may use. */
interface Admission {
  readonly from:
    | { readonly gateway: true }
    | { readonly components: readonly ResolvedComponent[] }
    | { readonly peer: PeerSelector };
  readonly port: number;
  /** L7 (Cilium only): the requests admitted, paths as regular expressions; undefined admits every request. */
  readonly http?: readonly { readonly method: string; readonly path: string }[];
}

/** The platform's components by their contract's workload name. */
const byWorkload = (view: PlatformView, workloads: readonly string[]) =>
  view.components.filter((c) => workloads.includes(c.workload));

/** Everything one component admits, derived from its contract. */
function admissions(view: PlatformView, c: ResolvedComponent): Admission[] {
  const list: Admission[] = [];
  const published = operationsOf(c).filter(isPublished);
  const grpc = (ops: readonly Operation[]) =>
    ops.map((op) => ({ method: 'POST', path: pathRegex(grpcPath(op)) }));
  // The BFF's REST is the front door; a service's REST is published operation by operation.
  const rest = published.flatMap((op) =>
    op.http ? [{ method: op.http.method, path: pathRegex(op.http.path, true) }] : [],
  );
  list.push({
    from: { gateway: true },
    port: c.restPort,
    ...(c.grpcServices.length > 0 ? { http: rest } : {}),
  });
  if (c.grpcPort !== undefined && published.length > 0)
    list.push({ from: { gateway: true }, port: c.grpcPort, http: grpc(published) });
  if (c.grpcPort !== undefined) {
    for (const caller of byWorkload(view, callersOf(c))) {
      list.push({
        from: { components: [caller] },
        port: c.grpcPort,
        http: grpc(operationsFor(c, caller.workload)),
      });
    }
  }
  if (c.key === 'auth') {
    const verifiers = view.components.filter((v) => v.key !== 'auth' && verifiesUserTokens(v));
    if (verifiers.length > 0)
      list.push({
        from: { components: verifiers },
        port: c.restPort,
        http: [{ method: 'GET', path: pathRegex(JWKS_PATH, true) }],
      });
  }
  const { monitoring } = view.spec.networkPolicy;
  if (monitoring) list.push({ from: { peer: monitoring }, port: METRICS_PORT });
  // An empty list of admitted calls admits none (Cilium would read it as no L7 filter at all).
  return list.filter((a) => a.http === undefined || a.http.length > 0);
}

const kubernetesPeers = (view: PlatformView, from: Admission['from']): V1NetworkPolicyPeer[] | undefined => {
  const peer = (p: PeerSelector): V1NetworkPolicyPeer => ({
    ...(p.namespaceLabels ? { namespaceSelector: { matchLabels: p.namespaceLabels } } : {}),
    ...(p.podLabels ? { podSelector: { matchLabels: p.podLabels } } : {}),
  });
  if ('components' in from)
    return from.components.map((c) => ({ podSelector: { matchLabels: componentSelector(view, c) } }));
  if ('peer' in from) return [peer(from.peer)];
  const { gateway } = view.spec.networkPolicy;
  // A plain NetworkPolicy cannot name Cilium's in-agent proxy: without a selector for the Gateway's
  // Pods, the published ports stay open to every source (the services still check every caller).
  return gateway ? [peer(gateway)] : undefined;
};

/** Kubernetes NetworkPolicies (any CNI, L4 only): empty unless enabled with this flavour. */
export function kubernetesNetworkPolicies(view: PlatformView): V1NetworkPolicy[] {
  const np = view.spec.networkPolicy;
  if (!np.enabled || np.flavor === 'cilium') return [];
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(view, `${view.name}-default-deny`),
      spec: { podSelector: platformSelector(view), policyTypes: ['Ingress'] },
    },
    ...view.components.map(
      (c): V1NetworkPolicy => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta(view, `${c.objectName}-ingress`),
        spec: {
          podSelector: { matchLabels: componentSelector(view, c) },
          policyTypes: ['Ingress'],
          ingress: admissions(view, c).map((a) => {
            const from = kubernetesPeers(view, a.from);
            // `_from`: the client library's name for `from`, which its serializer maps back.
            return { ...(from ? { _from: from } : {}), ports: [{ protocol: 'TCP', port: a.port }] };
          }),
        },
      }),
    ),
  ];
}

type CiliumPolicy = KubernetesObject & { spec: Record<string, unknown> };

const ciliumPeer = (view: PlatformView, from: Admission['from']): Record<string, unknown> => {
  const endpoints = (p: PeerSelector) => ({
    matchLabels: {
      ...Object.fromEntries(
        Object.entries(p.namespaceLabels ?? {}).map(([k, v]) => [`io.cilium.k8s.namespace.labels.${k}`, v]),
      ),
      ...p.podLabels,
    },
  });
  if ('components' in from)
    return { fromEndpoints: from.components.map((c) => ({ matchLabels: componentSelector(view, c) })) };
  if ('peer' in from) return { fromEndpoints: [endpoints(from.peer)] };
  const { gateway } = view.spec.networkPolicy;
  // Cilium's own Gateway runs in the agent's Envoy, whose identity is the `ingress` entity.
  return gateway ? { fromEndpoints: [endpoints(gateway)] } : { fromEntities: ['ingress'] };
};

/**
 * CiliumNetworkPolicies, one per component: the same admissions, and on the gRPC and REST ports
 * only the calls each peer may make (`POST /<service>/<Method>` for gRPC), as regular expressions.
 */
export function ciliumNetworkPolicies(view: PlatformView): CiliumPolicy[] {
  const np = view.spec.networkPolicy;
  if (!np.enabled || np.flavor !== 'cilium') return [];
  return view.components.map((c) => ({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: meta(view, `${c.objectName}-ingress`),
    spec: {
      endpointSelector: { matchLabels: componentSelector(view, c) },
      ingress: admissions(view, c).map((a) => ({
        ...ciliumPeer(view, a.from),
        toPorts: [
          {
            ports: [{ port: String(a.port), protocol: 'TCP' }],
            ...(a.http ? { rules: { http: a.http } } : {}),
          },
        ],
      })),
    },
  }));
}
