import type { V1ConfigMap } from '@kubernetes/client-node';
import { MANAGED_BY, type PlatformView } from './platform-view.ts';

export interface CorednsSnippet {
  /** The ConfigMap a cluster's CoreDNS imports from (shared by every GirokPlatform of the cluster). */
  readonly namespace: string;
  readonly configMap: string;
  /** This platform's own key: `*.override` keys are imported into CoreDNS's main server block. */
  readonly key: string;
  readonly content: string;
}

/**
 * The rewrite rules that make `<component>.svc-<env>.<domain>` answer as the component's Service
 * (`<platform>-<component>.<namespace>.svc.<clusterDomain>`). Undefined when DNS is disabled.
 */
export function corednsSnippet(view: PlatformView, clusterDomain: string): CorednsSnippet | undefined {
  const { dns } = view.spec;
  if (!dns.enabled) return undefined;
  const rules = view.components.map(
    (c) =>
      `rewrite stop name exact ${c.name}.${view.zone} ${c.objectName}.${view.namespace}.svc.${clusterDomain} answer auto`,
  );
  return {
    namespace: dns.corednsNamespace,
    configMap: dns.corednsConfigMap,
    key: `girok-${view.namespace}-${view.name}.override`,
    content: `# ${MANAGED_BY}: GirokPlatform ${view.namespace}/${view.name}, zone ${view.zone}\n${rules.join('\n')}\n`,
  };
}

/** The shared ConfigMap as this platform applies it: only its own key (other platforms own theirs). */
export function corednsConfigMap(snippet: CorednsSnippet, content: string | undefined): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: snippet.configMap,
      namespace: snippet.namespace,
      labels: { 'app.kubernetes.io/managed-by': MANAGED_BY },
    },
    data: content === undefined ? {} : { [snippet.key]: content },
  };
}
