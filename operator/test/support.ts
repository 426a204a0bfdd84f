import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, goModuleDir, infraEnv, kwokNamespaceAnnotations, versions } from '@girok/e2e/infra';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import type { GirokPlatform, GirokPlatformSpec } from '../src/api/platform.ts';
import { PlatformController } from '../src/controllers/platform-controller.ts';
import { PlatformReconciler } from '../src/controllers/platform-reconciler.ts';
import { apiCluster } from '../src/k8s/cluster.ts';
import { countingCluster } from '../src/k8s/counting-cluster.ts';
import { meteredCluster } from '../src/k8s/metered-cluster.ts';
import { operatorMetrics } from '../src/metrics.ts';
import { kafkaTopicAdmin } from '../src/topics/topic-admin.ts';

export const CRD_FILE = fileURLToPath(
  new URL('../../crds/girokplatforms.platform.girok.dev.yaml', import.meta.url),
);

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(infraEnv('KUBECONFIG'));
  return kc;
}

export const kubectl = (...args: string[]) =>
  exec(infraEnv('KUBECTL'), ['--kubeconfig', infraEnv('KUBECONFIG'), ...args]);

/** Installs the GirokPlatform CRD (as generated) and the Gateway API CRDs from their Go module. */
export async function installCrds(): Promise<void> {
  const gatewayApi = await goModuleDir(`sigs.k8s.io/gateway-api@v${versions.gatewayApi}`);
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    path.join(gatewayApi, 'config/crd/standard'),
  );
  await kubectl('apply', '--server-side', '--force-conflicts', '-f', CRD_FILE);
  // Polled rather than `kubectl wait`, which fails at once if a CRD is not listed yet.
  const crds = kubeConfig().makeApiClient(ApiextensionsV1Api);
  for (const name of [
    'girokplatforms.platform.girok.dev',
    'grpcroutes.gateway.networking.k8s.io',
    'httproutes.gateway.networking.k8s.io',
  ]) {
    await until(`CRD ${name} to be Established`, async () => {
      const crd = await crds.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

export function operatorUnderTest(
  kc: KubeConfig,
  options: {
    dryRun?: boolean;
    log?: (message: string, fields?: Record<string, unknown>) => void;
    resyncMs?: number;
  } = {},
) {
  const metrics = operatorMetrics();
  const { cluster, writes } = countingCluster(
    meteredCluster(apiCluster(kc), metrics, new URL(kc.getCurrentCluster()?.server ?? '').host),
  );
  const reconciler = new PlatformReconciler({
    cluster,
    topics: kafkaTopicAdmin(),
    clusterDomain: 'cluster.local',
    dryRun: options.dryRun ?? false,
    log: options.log ?? (() => {}),
    waitRequeueMs: 500,
  });
  const controller = new PlatformController({
    kc,
    reconciler,
    metrics,
    log: () => {},
    resyncMs: options.resyncMs ?? 60_000,
    concurrency: 4,
  });
  return { reconciler, controller, writes, metrics };
}

export function platform(
  namespace: string,
  name: string,
  spec: Partial<GirokPlatformSpec> = {},
): GirokPlatform {
  return {
    apiVersion: 'platform.girok.dev/v1alpha1',
    kind: 'GirokPlatform',
    metadata: { name, namespace },
    spec: {
      environment: 'dev',
      domain: 'girok.test',
      version: '1.0.0',
      imageRegistry: 'registry.girok.test/girok',
      ...spec,
    },
  };
}

/** `kubectl apply` of a manifest, as a platform engineer would; resolves with what kubectl printed. */
export async function kubectlApply(object: KubernetesObject): Promise<string> {
  const file = path.join(os.tmpdir(), `girok-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, stringify(object));
  try {
    return await exec(infraEnv('KUBECTL'), [
      '--kubeconfig',
      infraEnv('KUBECONFIG'),
      'apply',
      '--server-side',
      '--field-manager=platform-engineer',
      '-f',
      file,
    ]);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function readPlatform(kc: KubeConfig, namespace: string, name: string): Promise<GirokPlatform> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'platform.girok.dev',
    version: 'v1alpha1',
    plural: 'girokplatforms',
    namespace,
    name,
  })) as GirokPlatform;
}

export const condition = (p: GirokPlatform, type: string) =>
  p.status?.conditions?.find((c) => c.type === type);

/** Plays the Gateway controller's part (Cilium in a cluster): marks each route of the namespace Accepted. */
export async function acceptRoutes(kc: KubeConfig, namespace: string, gateway: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const plural of ['grpcroutes', 'httproutes']) {
    const list = (await custom.listNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural,
      namespace,
    })) as {
      items: (KubernetesObject & { status?: unknown })[];
    };
    for (const route of list.items) {
      const now = new Date().toISOString();
      const generation = route.metadata?.generation ?? 1;
      const cond = (type: string) => ({
        type,
        status: 'True',
        reason: type,
        message: 'test gateway',
        lastTransitionTime: now,
        observedGeneration: generation,
      });
      route.status = {
        parents: [
          {
            parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway },
            controllerName: 'test.girok.dev/gateway',
            conditions: [cond('Accepted'), cond('ResolvedRefs')],
          },
        ],
      };
      await custom.replaceNamespacedCustomObjectStatus({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        plural,
        namespace,
        name: route.metadata?.name ?? '',
        body: route,
      });
    }
  }
}

/**
 * The Secrets a platform's components read, as a platform engineer provides them: each database
 * component's `<platform>-<component>-database` and `<platform>-valkey` (key url), and any other
 * names given (key tls.crt). The key Secrets are the operator's to generate.
 */
export async function createPlatformSecrets(
  kc: KubeConfig,
  namespace: string,
  platformName: string,
  others: readonly string[] = [],
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const value = Buffer.from('not-a-real-value').toString('base64');
  const secrets = [
    ...['identity', 'auth', 'legal', 'audit'].map((c) => ({
      name: `${platformName}-${c}-database`,
      key: 'url',
    })),
    { name: `${platformName}-valkey`, key: 'url' },
    ...others.map((name) => ({ name, key: 'tls.crt' })),
  ];
  for (const { name, key } of secrets)
    await core.createNamespacedSecret({ namespace, body: { metadata: { name }, data: { [key]: value } } });
}

/** A namespace whose Pods go to the kwok node (fake images "run" there; the real node is for real images). */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name, annotations: { ...kwokNamespaceAnnotations } } } });
}

/**
 * Registers what every operator suite needs: the CRDs installed and a fresh namespace before it,
 * the namespace deleted after the suite's own cleanup (after-hooks run in reverse order).
 */
export function suiteNamespace(prefix: string): { readonly ns: string; readonly kc: KubeConfig } {
  const ns = `${prefix}-${randomUUID().slice(0, 8)}`;
  const kc = kubeConfig();
  beforeAll(async () => {
    await installCrds();
    await createNamespace(kc, ns);
  });
  afterAll(async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns })
      .catch(() => {});
  });
  return { ns, kc };
}
