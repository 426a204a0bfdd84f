import type { V1OwnerReference } from '@kubernetes/client-node';
import { platformSpecSchema, secretKeyRefSchema } from '../api/crd.ts';
import { type FromSchema, withDefaults } from '../api/from-schema.ts';
import { API_VERSION, type GirokPlatform, KIND } from '../api/platform.ts';
import { type Component, components } from './catalogue.ts';

export const MANAGED_BY = 'girok-operator';
export const INSTANCE_LABEL = 'platform.girok.dev/instance';
/** The spec with every default of the CRD schema applied, as the API server applies them. */
export type ResolvedSpec = FromSchema<typeof platformSpecSchema, true>;
/** One component's settings with their defaults; every component but the BFF names a database. */
type ResolvedComponentSpec = ResolvedSpec['services']['identity'];

/** A component with the spec's settings and the defaults resolved. */
export interface ResolvedComponent extends Component {
  readonly objectName: string;
  /** `<platform>-<workload>`: the workload name the callee reads from the token is the contract's. */
  readonly serviceAccountName: string;
  readonly replicas: number;
  readonly spec: ResolvedComponentSpec;
  /** `<registry>/<image>:<version>`, with `@<digest>` when spec.imageDigests pins it (ADR 0017). */
  readonly image: string;
  readonly databaseSecret?: { name: string; key: string };
  /** `<platform>-<component>-keys`: the key rings and peppers the operator generates (secrets.ts). */
  readonly keysSecretName: string;
  /**
   * Where the other components reach this one: `<name>.svc-<env>.<domain>`, which the platform's
   * CoreDNS snippet rewrites to the Service; the Service's own name when DNS is disabled.
   */
  readonly host: string;
}

/**
 * The spec with every default applied: what the builders read, and all they read. The schema's
 * `default`s are applied here once (the API server applies the same, so a stored object and a
 * fixture resolve alike); what depends on other fields (names, hosts, the gateway switch, the
 * Valkey Secret, the topic prefix, the BFF's origins) is computed here too. Pure.
 */
export interface PlatformView {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly environment: string;
  readonly domain: string;
  readonly version: string;
  readonly owner: V1OwnerReference;
  readonly components: readonly ResolvedComponent[];
  readonly hosts: { readonly api: string; readonly bff: string; readonly grpc: string };
  /** The internal DNS zone `svc-<env>.<domain>`. */
  readonly zone: string;
  /** The service-account token issuer the components verify each other's tokens against. */
  readonly workloadIssuer: string;
  /** spec.gateway.enabled, or, unset, whether spec.gateway.tlsSecretName is (ADR 0016). */
  readonly gatewayEnabled: boolean;
  /** Secret with the Valkey URL the replicas of identity and auth-bff share. */
  readonly valkeySecret: { readonly name: string; readonly key: string };
  /** Before every topic and consumer group of this platform: `<prefix>.`, or "" when the spec says so. */
  readonly topicPrefix: string;
  /** Origins whose WebSockets the BFF accepts: spec.bff.allowedOrigins, or its public host. */
  readonly bffAllowedOrigins: readonly string[];
  readonly spec: ResolvedSpec;
}

export function viewOf(platform: GirokPlatform): PlatformView {
  const name = platform.metadata?.name ?? '';
  const namespace = platform.metadata?.namespace ?? '';
  const spec = withDefaults(platformSpecSchema, platform.spec);
  const { environment: env, domain, version, imageRegistry } = spec;
  const registry = imageRegistry.replace(/\/+$/, '');
  const prefix = spec.events?.topicPrefix ?? name;
  const hosts = {
    api: spec.gateway.hosts?.api ?? `api-${env}.${domain}`,
    bff: spec.gateway.hosts?.bff ?? `bff-${env}.${domain}`,
    grpc: spec.gateway.hosts?.grpc ?? `grpc-${env}.${domain}`,
  };
  const tag = version;
  return {
    name,
    namespace,
    uid: platform.metadata?.uid ?? '',
    environment: env,
    domain,
    version,
    owner: {
      apiVersion: API_VERSION,
      kind: KIND,
      name,
      uid: platform.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
    components: components.map((c) => {
      const settings: ResolvedComponentSpec = spec.services[c.key];
      const digest = spec.imageDigests?.[c.key];
      return {
        ...c,
        objectName: `${name}-${c.name}`,
        serviceAccountName: `${serviceAccountPrefix(name)}${c.workload}`,
        replicas: settings.replicas,
        spec: settings,
        // Tag and digest both: the digest is what runs, the tag keeps a version change a rollout.
        image: `${registry}/${c.image}:${tag}${digest ? `@${digest}` : ''}`,
        keysSecretName: `${name}-${c.name}-keys`,
        // Without the CoreDNS snippet the zone's names resolve nowhere: the Service's name then.
        host: spec.dns.enabled ? `${c.name}.svc-${env}.${domain}` : `${name}-${c.name}`,
        ...(c.databaseEnv
          ? {
              databaseSecret:
                settings.database ?? withDefaults(secretKeyRefSchema, { name: `${name}-${c.name}-database` }),
            }
          : {}),
      };
    }),
    hosts,
    zone: `svc-${env}.${domain}`,
    workloadIssuer: spec.workloadIdentity.issuer,
    gatewayEnabled: spec.gateway.enabled ?? spec.gateway.tlsSecretName !== undefined,
    valkeySecret: spec.valkey ?? withDefaults(secretKeyRefSchema, { name: `${name}-valkey` }),
    topicPrefix: prefix === '' ? '' : `${prefix}.`,
    bffAllowedOrigins: spec.bff.allowedOrigins ?? [`https://${hosts.bff}`],
    spec,
  };
}

/** What a callee strips from a token's ServiceAccount name to read the caller's workload name. */
export const serviceAccountPrefix = (platformName: string): string => `${platformName}-`;

/** Labels on every child: who manages it and which platform it belongs to. */
export const instanceLabels = (view: PlatformView): Record<string, string> => ({
  'app.kubernetes.io/managed-by': MANAGED_BY,
  'app.kubernetes.io/part-of': 'girok',
  [INSTANCE_LABEL]: view.name,
});

/** Labels of one component's objects; the first two are its Pods' selector. */
export const componentSelector = (view: PlatformView, c: ResolvedComponent): Record<string, string> => ({
  'app.kubernetes.io/name': c.name,
  'app.kubernetes.io/instance': view.name,
});

export const componentLabels = (view: PlatformView, c: ResolvedComponent): Record<string, string> => ({
  ...instanceLabels(view),
  ...componentSelector(view, c),
  'app.kubernetes.io/component': c.name,
  'app.kubernetes.io/version': view.version,
});
