import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import {
  componentLabels,
  componentSelector,
  type PlatformView,
  type ResolvedComponent,
} from './platform-view.ts';

/** One Pod may be evicted at a time; a single-replica (or scaled-to-zero) component gets none, so a drain is never blocked. */
export function componentPdb(view: PlatformView, c: ResolvedComponent): V1PodDisruptionBudget | undefined {
  if (c.replicas < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: c.objectName,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      ownerReferences: [view.owner],
    },
    spec: { maxUnavailable: 1, selector: { matchLabels: componentSelector(view, c) } },
  };
}
