import type { KubernetesObject } from '@kubernetes/client-node';
import type { GirokPlatform } from '../api/platform.ts';
import { componentConfigMap } from './configmap.ts';
import { type CorednsSnippet, corednsSnippet } from './coredns.ts';
import { componentDeployment } from './deployment.ts';
import { apiRoute, bffRoute, grpcRoute, platformGateway } from './gateway.ts';
import { ciliumNetworkPolicies, kubernetesNetworkPolicies } from './network-policy.ts';
import { componentPdb } from './pdb.ts';
import { type PlatformView, viewOf } from './platform-view.ts';
import { type NeededSecret, neededSecrets } from './secrets.ts';
import { componentService } from './service.ts';
import { componentServiceAccount } from './service-account.ts';
import { desiredTopics, type TopicSpec } from './topics.ts';

export interface DesiredState {
  readonly view: PlatformView;
  /** Owned children in the platform's namespace, in apply order (config before the Pods that read it). */
  readonly children: readonly KubernetesObject[];
  readonly dns: CorednsSnippet | undefined;
  readonly topics: readonly TopicSpec[] | undefined;
  /** The Secrets the children reference (the user's, and the generated key Secrets): checked, never applied. */
  readonly secrets: readonly NeededSecret[];
}

/** Everything the platform should consist of: a pure function of the resource. */
export function desiredState(platform: GirokPlatform, clusterDomain: string): DesiredState {
  const view = viewOf(platform);
  const perComponent = view.components.flatMap((c) => [
    componentConfigMap(view, c),
    componentServiceAccount(view, c),
    componentService(view, c),
    componentDeployment(view, c),
    componentPdb(view, c),
  ]);
  const routes = [platformGateway(view), grpcRoute(view), apiRoute(view), bffRoute(view)];
  const policies = [...kubernetesNetworkPolicies(view), ...ciliumNetworkPolicies(view)];
  const children = [...perComponent, ...routes, ...policies].filter(
    (o): o is NonNullable<typeof o> => o !== undefined,
  );
  return {
    view,
    children,
    dns: corednsSnippet(view, clusterDomain),
    topics: view.spec.events ? desiredTopics(view) : undefined,
    secrets: neededSecrets(children),
  };
}

/**
 * Every kind the builders can produce, found by building a platform with every option on (each
 * network-policy flavour): what the reconciler prunes and the controller watches, never a list of
 * its own.
 */
export const OWNED_KINDS: readonly { readonly apiVersion: string; readonly kind: string }[] = (() => {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const flavor of ['kubernetes', 'cilium'] as const) {
    const probe: GirokPlatform = {
      metadata: { name: 'probe', namespace: 'probe' },
      spec: {
        environment: 'probe',
        domain: 'probe.invalid',
        version: '0.0.0',
        imageRegistry: 'probe.invalid',
        gateway: { enabled: true, tlsSecretName: 'probe' },
        networkPolicy: { enabled: true, flavor },
      },
    };
    for (const { apiVersion = '', kind = '' } of desiredState(probe, 'cluster.local').children)
      kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind });
  }
  return [...kinds.values()];
})();
