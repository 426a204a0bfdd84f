import type { V1ServiceAccount } from '@kubernetes/client-node';
import { componentLabels, type PlatformView, type ResolvedComponent } from './platform-view.ts';

/**
 * The component's own identity: the kubelet projects a token of it (audience `girok`) that the
 * components it calls verify. Reading the issuer's keys needs no RoleBinding of ours: Kubernetes
 * binds `system:service-account-issuer-discovery` to every ServiceAccount by default.
 */
export function componentServiceAccount(view: PlatformView, c: ResolvedComponent): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: c.serviceAccountName,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      ownerReferences: [view.owner],
    },
    // The Pods mount only the tokens they need, each with its own audience (deployment.ts).
    automountServiceAccountToken: false,
  };
}
