import type { KubernetesObject, V1NetworkPolicy } from '@kubernetes/client-node';
import { instanceLabels, type PlatformView } from './platform-view.ts';

// Ingress to the platform's Pods is denied except for the paths the architecture uses: the
// gateway to REST, BFF and gRPC ports, and the platform's own Pods to each other's gRPC ports.
// Egress (databases, brokers outside the cluster) is left alone.

const podSelector = (view: PlatformView) => ({
  matchLabels: { 'app.kubernetes.io/part-of': 'girok', 'app.kubernetes.io/instance': view.name },
});
const meta = (view: PlatformView, name: string) => ({
  name,
  namespace: view.namespace,
  labels: instanceLabels(view),
  ownerReferences: [view.owner],
});
const restPorts = (view: PlatformView) => view.components.map((c) => c.restPort);
const grpcPorts = (view: PlatformView) =>
  view.components.flatMap((c) => (c.grpcPort === undefined ? [] : [c.grpcPort]));

/** Kubernetes NetworkPolicies (any CNI); undefined list entries must not exist. */
export function kubernetesNetworkPolicies(view: PlatformView): V1NetworkPolicy[] {
  const np = view.platform.spec.networkPolicy;
  if (!np?.enabled || np.flavor === 'cilium') return [];
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(view, `${view.name}-default-deny`),
      spec: { podSelector: podSelector(view), policyTypes: ['Ingress'] },
    },
    {
      // A plain NetworkPolicy cannot name the gateway's proxy, so the exposed ports stay open to
      // every source; the cilium flavour narrows this to the ingress entity.
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(view, `${view.name}-allow-gateway`),
      spec: {
        podSelector: podSelector(view),
        policyTypes: ['Ingress'],
        ingress: [{ ports: [...restPorts(view), ...grpcPorts(view)].map(tcp) }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(view, `${view.name}-allow-internal-grpc`),
      spec: {
        podSelector: podSelector(view),
        policyTypes: ['Ingress'],
        // `_from`: the client library's name for `from`, which its serializer maps back.
        ingress: [{ _from: [{ podSelector: podSelector(view) }], ports: grpcPorts(view).map(tcp) }],
      },
    },
  ];
}

/** CiliumNetworkPolicies: only Cilium's ingress (the Gateway's Envoy) reaches the exposed ports. */
export function ciliumNetworkPolicies(
  view: PlatformView,
): (KubernetesObject & { spec: Record<string, unknown> })[] {
  const np = view.platform.spec.networkPolicy;
  if (!np?.enabled || np.flavor !== 'cilium') return [];
  const ports = (list: number[]) => [
    { ports: list.map((port) => ({ port: String(port), protocol: 'TCP' })) },
  ];
  return [
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: meta(view, `${view.name}-allow-gateway`),
      spec: {
        endpointSelector: podSelector(view),
        ingress: [{ fromEntities: ['ingress'], toPorts: ports([...restPorts(view), ...grpcPorts(view)]) }],
      },
    },
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: meta(view, `${view.name}-allow-internal-grpc`),
      spec: {
        endpointSelector: podSelector(view),
        ingress: [{ fromEndpoints: [podSelector(view)], toPorts: ports(grpcPorts(view)) }],
      },
    },
  ];
}
