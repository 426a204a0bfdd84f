import type { V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, type ComponentSpec, type GirokPlatform, KIND } from '../api/platform.ts';
import { type Component, components, DEFAULT_REPLICAS } from './catalogue.ts';

export const MANAGED_BY = 'girok-operator';
export const INSTANCE_LABEL = 'platform.girok.dev/instance';
/** The API server's default `--service-account-issuer`. */
export const DEFAULT_WORKLOAD_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export const DEFAULT_SASL_MECHANISM = 'scram-sha-512';

/** A component with the spec's settings and the defaults resolved. */
export interface ResolvedComponent extends Component {
  readonly objectName: string;
  /** `<platform>-<workload>`: the workload name the callee reads from the token is the contract's. */
  readonly serviceAccountName: string;
  readonly replicas: number;
  readonly spec: ComponentSpec;
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

/** The spec with every default applied: what the builders read. Pure. */
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
  /** Secret with the Valkey URL the replicas of identity and auth-bff share. */
  readonly valkeySecret: { readonly name: string; readonly key: string };
  /** Before every topic and consumer group of this platform: `<prefix>.`, or "" when the spec says so. */
  readonly topicPrefix: string;
  readonly kafkaSasl?: { readonly secretName: string; readonly mechanism: string };
  readonly bff: {
    readonly allowedOrigins: readonly string[];
    readonly graphqlExplorer: boolean;
    readonly signUpRateLimit?: { readonly perIp?: number; readonly windowMs?: number };
  };
  /** Key Secrets get an owner reference (go with the platform) only when the spec asks. */
  readonly keysDeleteWithPlatform: boolean;
  readonly platform: GirokPlatform;
}

export function viewOf(platform: GirokPlatform): PlatformView {
  const name = platform.metadata?.name ?? '';
  const namespace = platform.metadata?.namespace ?? '';
  const { environment: env, domain, version, imageRegistry } = platform.spec;
  const registry = imageRegistry.replace(/\/+$/, '');
  const events = platform.spec.events;
  const prefix = events?.topicPrefix ?? name;
  const bffHost = platform.spec.gateway?.hosts?.bff ?? `bff-${env}.${domain}`;
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
      const spec = platform.spec.services?.[c.key] ?? {};
      // A pinned digest is what runs (ADR 0017); the version tag names the release otherwise.
      const digest = platform.spec.imageDigests?.[c.key];
      return {
        ...c,
        objectName: `${name}-${c.name}`,
        serviceAccountName: `${serviceAccountPrefix(name)}${c.workload}`,
        replicas: spec.replicas ?? DEFAULT_REPLICAS,
        spec,
        // Tag and digest both: the digest is what runs, the tag keeps a version change a rollout.
        image: `${registry}/${c.image}:${tag}${digest ? `@${digest}` : ''}`,
        keysSecretName: `${name}-${c.name}-keys`,
        // Without the CoreDNS snippet the zone's names resolve nowhere: the Service's name then.
        host: platform.spec.dns?.enabled === false ? `${name}-${c.name}` : `${c.name}.svc-${env}.${domain}`,
        ...(c.databaseEnv
          ? {
              databaseSecret: {
                name: spec.database?.name ?? `${name}-${c.name}-database`,
                key: spec.database?.key ?? 'url',
              },
            }
          : {}),
      };
    }),
    hosts: {
      api: platform.spec.gateway?.hosts?.api ?? `api-${env}.${domain}`,
      bff: bffHost,
      grpc: platform.spec.gateway?.hosts?.grpc ?? `grpc-${env}.${domain}`,
    },
    zone: `svc-${env}.${domain}`,
    workloadIssuer: platform.spec.workloadIdentity?.issuer ?? DEFAULT_WORKLOAD_ISSUER,
    valkeySecret: {
      name: platform.spec.valkey?.name ?? `${name}-valkey`,
      key: platform.spec.valkey?.key ?? 'url',
    },
    topicPrefix: prefix === '' ? '' : `${prefix}.`,
    ...(events?.authSecretName
      ? {
          kafkaSasl: {
            secretName: events.authSecretName,
            mechanism: events.saslMechanism ?? DEFAULT_SASL_MECHANISM,
          },
        }
      : {}),
    bff: {
      allowedOrigins: platform.spec.bff?.allowedOrigins ?? [`https://${bffHost}`],
      graphqlExplorer: platform.spec.bff?.graphqlExplorer ?? false,
      ...(platform.spec.bff?.signUpRateLimit ? { signUpRateLimit: platform.spec.bff.signUpRateLimit } : {}),
    },
    keysDeleteWithPlatform: platform.spec.keys?.deleteWithPlatform ?? false,
    platform,
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
