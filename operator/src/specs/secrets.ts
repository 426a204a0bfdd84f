import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { GatewayApiObject } from './gateway.ts';

/** A Secret the platform cannot run without, the keys read from it, and who reads them. */
export interface NeededSecret {
  readonly name: string;
  readonly keys: readonly string[];
  /** Components by name, or `the Gateway`. */
  readonly neededBy: readonly string[];
}

/**
 * Every Secret the desired children reference (Pods' env, envFrom and volumes, the Gateway's
 * certificates), read from the children themselves so a new reference is checked without a list
 * of its own. References marked optional are left out. Pure.
 */
export function neededSecrets(children: readonly KubernetesObject[]): NeededSecret[] {
  const needed = new Map<string, { keys: Set<string>; neededBy: Set<string> }>();
  const need = (name: string, by: string, key?: string) => {
    const entry = needed.get(name) ?? { keys: new Set(), neededBy: new Set() };
    if (key !== undefined) entry.keys.add(key);
    entry.neededBy.add(by);
    needed.set(name, entry);
  };
  for (const child of children) {
    if (child.kind === 'Deployment') {
      const pod = (child as V1Deployment).spec?.template.spec;
      const by = child.metadata?.labels?.['app.kubernetes.io/name'] ?? child.metadata?.name ?? '';
      for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
        for (const e of container.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref?.name && !ref.optional) need(ref.name, by, ref.key);
        }
        for (const e of container.envFrom ?? [])
          if (e.secretRef?.name && !e.secretRef.optional) need(e.secretRef.name, by);
      }
      for (const v of pod?.volumes ?? []) {
        if (v.secret?.secretName && !v.secret.optional) need(v.secret.secretName, by);
        for (const source of v.projected?.sources ?? [])
          if (source.secret?.name && !source.secret.optional) need(source.secret.name, by);
      }
    } else if (child.kind === 'Gateway') {
      const listeners = (child as GatewayApiObject).spec.listeners as
        | { tls?: { certificateRefs?: { kind?: string; name: string; namespace?: string }[] } }[]
        | undefined;
      for (const l of listeners ?? [])
        for (const ref of l.tls?.certificateRefs ?? [])
          if ((ref.kind ?? 'Secret') === 'Secret' && ref.name && !ref.namespace)
            need(ref.name, 'the Gateway');
    }
  }
  return [...needed].map(([name, { keys, neededBy }]) => ({
    name,
    keys: [...keys].sort(),
    neededBy: [...neededBy].sort(),
  }));
}
