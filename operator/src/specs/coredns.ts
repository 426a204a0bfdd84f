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

/** An entry of a Gateway's `status.addresses`, as its controller reports it. */
export interface GatewayAddress {
  readonly type?: string;
  readonly value: string;
}

/**
 * Answers for the public hosts (`api-`, `bff-`, `grpc-<env>.<domain>`) with the Gateway's
 * addresses, so clients in the cluster reach them through the Gateway like clients outside: one
 * `template` stanza per record type (the plugin may appear several times in a server block), or a
 * rewrite to the Gateway's hostname. Empty until the Gateway's controller reports an address.
 */
export function publicHostRules(view: PlatformView, addresses: readonly GatewayAddress[]): string {
  const hosts = [view.hosts.api, view.hosts.bff, view.hosts.grpc];
  const ips = addresses.filter((a) => (a.type ?? 'IPAddress') === 'IPAddress').map((a) => a.value);
  // Hostnames hold only letters, digits, '-' and '.': '[.]' is all the quoting the pattern needs.
  const match = `    match "^(${hosts.map((h) => h.replaceAll('.', '[.]')).join('|')})[.]$"`;
  // A record type without an address answers NODATA: the name exists, only through the Gateway.
  const template = (type: 'A' | 'AAAA', values: readonly string[]) => [
    `template IN ${type} ${hosts.join(' ')} {`,
    match,
    ...(values.length === 0
      ? ['    rcode NOERROR']
      : values.map((ip) => `    answer "{{ .Name }} 60 IN ${type} ${ip}"`)),
    '    fallthrough',
    '}',
  ];
  const hostname = addresses.find((a) => a.type === 'Hostname')?.value;
  if (ips.length === 0)
    return hostname
      ? hosts.map((h) => `rewrite stop name exact ${h} ${hostname} answer auto\n`).join('')
      : '';
  return [
    ...template(
      'A',
      ips.filter((ip) => !ip.includes(':')),
    ),
    ...template(
      'AAAA',
      ips.filter((ip) => ip.includes(':')),
    ),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

/** The addresses a live Gateway reports in its status (none while its controller has not programmed it). */
export const gatewayAddresses = (gateway: unknown): GatewayAddress[] =>
  (gateway as { status?: { addresses?: GatewayAddress[] } } | undefined)?.status?.addresses ?? [];

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
