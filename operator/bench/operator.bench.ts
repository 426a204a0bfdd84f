// npm run bench -- operator
// Create-to-Ready latency, writes per first reconcile and per no-op pass, time for 100 platforms to
// converge, and the operator's apply throughput against the raw server-side-apply rate of the
// same API server measured in the same run.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchSuite, rawApplyRate } from '@girok/e2e/bench';
import { kwokNamespaceAnnotations } from '@girok/e2e/infra';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { GirokPlatform } from '../src/api/platform.ts';
import { PlatformController } from '../src/controllers/platform-controller.ts';
import { PlatformReconciler } from '../src/controllers/platform-reconciler.ts';
import { apiCluster } from '../src/k8s/cluster.ts';
import { countingCluster } from '../src/k8s/counting-cluster.ts';
import { operatorMetrics } from '../src/metrics.ts';
import { kafkaTopicAdmin } from '../src/topics/topic-admin.ts';

const CRD = fileURLToPath(new URL('../../crds/girokplatforms.platform.girok.dev.yaml', import.meta.url));
const crdApi = { group: 'platform.girok.dev', version: 'v1alpha1', plural: 'girokplatforms' };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

const DATABASE_SECRET = 'bench-database';
const body = (namespace: string, name: string, replicas: number): GirokPlatform => ({
  apiVersion: 'platform.girok.dev/v1alpha1',
  kind: 'GirokPlatform',
  metadata: { name, namespace },
  spec: {
    environment: 'bench',
    domain: 'bench.girok.test',
    version: '1.0.0',
    imageRegistry: 'registry.girok.test/girok',
    // Every platform of a namespace reads the one database Secret the bench creates there.
    services: Object.fromEntries(
      ['identity', 'auth', 'legal', 'authBff', 'audit'].map((k) => [
        k,
        k === 'authBff' ? { replicas } : { replicas, database: { name: DATABASE_SECRET } },
      ]),
    ),
  },
});

export const suite: BenchSuite = {
  needs: ['kube'],
  async run(env, progress) {
    execFileSync(env.KUBECTL ?? 'kubectl', [
      '--kubeconfig',
      env.KUBECONFIG ?? '',
      'apply',
      '--server-side',
      '-f',
      CRD,
    ]);
    execFileSync(env.KUBECTL ?? 'kubectl', [
      '--kubeconfig',
      env.KUBECONFIG ?? '',
      'wait',
      '--for=condition=Established',
      'crd/girokplatforms.platform.girok.dev',
    ]);
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG ?? '');
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const { cluster, writes } = countingCluster(apiCluster(kc));
    const reconciler = new PlatformReconciler({
      cluster,
      topics: kafkaTopicAdmin(),
      clusterDomain: 'cluster.local',
      dryRun: false,
      log: () => {},
    });
    const isReady = async (namespace: string, name: string) => {
      const p = (await custom.getNamespacedCustomObject({ ...crdApi, namespace, name })) as GirokPlatform;
      return (
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        p.status.observedGeneration === p.metadata?.generation
      );
    };
    const waitReady = async (namespace: string, names: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      const pending = new Set(names);
      while (pending.size > 0) {
        for (const n of [...pending]) if (await isReady(namespace, n)) pending.delete(n);
        if (pending.size === 0) break;
        if (Date.now() > deadline)
          throw new Error(`${pending.size} platforms not Ready after ${timeoutMs / 1000}s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // Namespaces go while the controller still runs, so it can finalize their platforms.
    const removeAll = async (namespaces: string[]) => {
      for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => {});
      const deadline = Date.now() + 120_000;
      for (const name of namespaces) {
        while (
          Date.now() < deadline &&
          (await core.readNamespace({ name }).then(
            () => true,
            () => false,
          ))
        ) {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    const namespace = `bench-op-${Date.now().toString(36)}`;
    // The platforms' Pods (fake images) go to the kwok node.
    const annotations = { ...kwokNamespaceAnnotations };
    await core.createNamespace({ body: { metadata: { name: namespace, annotations } } });
    const databaseSecret = (ns: string) =>
      core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: DATABASE_SECRET }, stringData: { url: 'postgres://bench.invalid/girok' } },
      });
    await databaseSecret(namespace);

    // Writes of one first reconcile, with no controller running: the cost of creating a platform.
    await custom.createNamespacedCustomObject({ ...crdApi, namespace, body: body(namespace, 'first', 1) });
    const before = writes.total;
    const appliesBefore = writes.byVerb.apply ?? 0;
    await reconciler.reconcile(namespace, 'first');
    const firstReconcileWrites = writes.total - before;
    const firstReconcileApplies = (writes.byVerb.apply ?? 0) - appliesBefore;

    const controller = new PlatformController({
      kc,
      reconciler,
      metrics: operatorMetrics(),
      log: () => {},
      resyncMs: 600_000,
      concurrency: 4,
    });
    await controller.start();
    try {
      // Create -> Ready, one platform at a time.
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const name = `p${i}`;
        const started = performance.now();
        await custom.createNamespacedCustomObject({ ...crdApi, namespace, body: body(namespace, name, 1) });
        await waitReady(namespace, [name], 60_000);
        latencies.push(performance.now() - started);
        progress(`ready ${i + 1}/20 in ${Math.round(latencies.at(-1) ?? 0)} ms`);
      }
      await waitReady(namespace, ['first'], 60_000);

      // A no-op pass over every converged platform.
      await controller.idle();
      const noopBefore = writes.total;
      for (const name of ['first', ...latencies.map((_, i) => `p${i}`)])
        await reconciler.reconcile(namespace, name);
      const noopWrites = writes.total - noopBefore;

      // 100 platforms at once, in their own namespace.
      const many = `${namespace}-100`;
      await core.createNamespace({ body: { metadata: { name: many, annotations } } });
      await databaseSecret(many);
      const names = Array.from({ length: 100 }, (_, i) => `m${i}`);
      const applyBefore = writes.byVerb.apply ?? 0;
      const started = performance.now();
      for (const name of names) {
        await custom.createNamespacedCustomObject({ ...crdApi, namespace: many, body: body(many, name, 1) });
      }
      // The apply phase: every platform's first reconcile has written all it owns (what the
      // operator itself controls; the rest is the control plane starting 500 Pods).
      const expectedApplies = firstReconcileApplies * names.length;
      while ((writes.byVerb.apply ?? 0) - applyBefore < expectedApplies)
        await new Promise((r) => setTimeout(r, 20));
      const applySeconds = (performance.now() - started) / 1000;
      await waitReady(many, names, 600_000);
      const convergeSeconds = (performance.now() - started) / 1000;
      const operatorApplyRate = expectedApplies / applySeconds;
      progress(`100 platforms Ready in ${convergeSeconds.toFixed(1)} s`);
      await removeAll([namespace, many]);
      await controller.stop();

      const limit = await rawApplyRate(kc);
      return {
        ready_p50_ms: percentile(latencies, 50),
        ready_p95_ms: percentile(latencies, 95),
        first_reconcile_writes: firstReconcileWrites,
        noop_writes: noopWrites,
        apply_100_s: applySeconds,
        converge_100_s: convergeSeconds,
        operator_apply_per_s: operatorApplyRate,
        apply_limit_per_s: limit,
        apply_ratio: operatorApplyRate / limit,
      };
    } finally {
      await removeAll([namespace, `${namespace}-100`]).catch(() => {});
      await controller.stop().catch(() => {});
    }
  },
};
