import type { V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, type ComponentSpec, type GirokPlatform, KIND } from '../api/platform.ts';
import { type Component, components, DEFAULT_REPLICAS } from './catalogue.ts';

export const MANAGED_BY = 'girok-operator';
export const INSTANCE_LABEL = 'platform.girok.dev/instance';
/** The API server's default `--service-account-issuer`. */
export const DEFAULT_WORKLOAD_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** A component with the spec's settings and the defaults resolved. */
export interface ResolvedComponent extends Component {
  readonly objectName: string;
  /** `<platform>-<workload>`: the workload name the callee reads from the token is the contract's. */
  readonly serviceAccountName: string;
  readonly replicas: number;
  readonly spec: ComponentSpec;
  readonly image: string;
  readonly databaseSecret?: { name: string; key: string };
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
  readonly platform: GirokPlatform;
}

export function viewOf(platform: GirokPlatform): PlatformView {
  const name = platform.metadata?.name ?? '';
  const namespace = platform.metadata?.namespace ?? '';
  const { environment: env, domain, version, imageRegistry } = platform.spec;
  const registry = imageRegistry.replace(/\/+$/, '');
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
      const spec: ComponentSpec = platform.spec.services?.[c.key] ?? {};
      return {
        ...c,
        objectName: `${name}-${c.name}`,
        serviceAccountName: `${serviceAccountPrefix(name)}${c.workload}`,
        replicas: spec.replicas ?? DEFAULT_REPLICAS,
        spec,
        image: `${registry}/${c.image}:${tag}`,
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
      bff: platform.spec.gateway?.hosts?.bff ?? `bff-${env}.${domain}`,
      grpc: platform.spec.gateway?.hosts?.grpc ?? `grpc-${env}.${domain}`,
    },
    zone: `svc-${env}.${domain}`,
    workloadIssuer: platform.spec.workloadIdentity?.issuer ?? DEFAULT_WORKLOAD_ISSUER,
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
