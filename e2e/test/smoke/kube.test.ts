import { randomUUID } from 'node:crypto';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';
import { kwokNamespaceAnnotations } from '../../src/infra/servers/kube.ts';

const until = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe('Kubernetes API server (+ controller-manager, scheduler, kwok) through @kubernetes/client-node', () => {
  const suffix = randomUUID().slice(0, 8);
  const namespace = `smoke-${suffix}`;
  const plural = `widgets${suffix}`;
  const group = 'smoke.girok.dev';
  const kc = new KubeConfig();
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let crds: ApiextensionsV1Api;
  let objects: KubernetesObjectApi;

  beforeAll(async () => {
    kc.loadFromFile(infraEnv('KUBECONFIG'));
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    crds = kc.makeApiClient(ApiextensionsV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
    // Its Pods (an image nothing pulls) go to the kwok node.
    await core.createNamespace({
      body: { metadata: { name: namespace, annotations: { ...kwokNamespaceAnnotations } } },
    });
  });

  afterAll(async () => {
    await crds?.deleteCustomResourceDefinition({ name: `${plural}.${group}` }).catch(() => {});
    await core?.deleteNamespace({ name: namespace }).catch(() => {});
  });

  it('installs a CRD, validates custom resources against its schema, and stores valid ones', async () => {
    await crds.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: `widget${suffix}`, kind: `Widget${suffix}` },
          versions: [
            {
              name: 'v1alpha1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['replicas'],
                      properties: { replicas: { type: 'integer', minimum: 0, maximum: 100 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await until('the CRD to be Established', async () => {
      const crd = await crds.readCustomResourceDefinition({ name: `${plural}.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });

    const widget = (replicas: number): KubernetesObject & { spec: { replicas: number } } => ({
      apiVersion: `${group}/v1alpha1`,
      kind: `Widget${suffix}`,
      metadata: { name: `w-${replicas}`, namespace },
      spec: { replicas },
    });
    const created = await until(
      'the custom resource endpoint',
      () => objects.create(widget(3)).catch(() => undefined),
      20_000,
    );
    expect(created.metadata?.uid).toBeTruthy();
    await expect(objects.create(widget(101))).rejects.toMatchObject({ code: 422 });
    await expect(objects.create(widget(101))).rejects.toThrow(/spec.replicas: Invalid value: 101/);
  });

  it('server-side applies a Deployment that becomes Available on the kwok node', async () => {
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'smoke', namespace, labels: { 'app.kubernetes.io/managed-by': 'girok-smoke' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'smoke' } },
        template: {
          metadata: { labels: { app: 'smoke' } },
          spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    };
    const applied = await objects.patch(
      deployment,
      undefined,
      undefined,
      'girok-smoke',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(
      applied.metadata?.managedFields?.some((f) => f.manager === 'girok-smoke' && f.operation === 'Apply'),
    ).toBe(true);

    const available = await until('the Deployment to become Available', async () => {
      const current = await apps.readNamespacedDeployment({ name: 'smoke', namespace });
      const ok = current.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
      return ok && current.status?.availableReplicas === 2 ? current : undefined;
    });
    expect(available.status?.readyReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
    expect(pods.items.map((p) => p.spec?.nodeName)).toEqual(['kwok-node-0', 'kwok-node-0']);
    expect(pods.items.every((p) => p.status?.phase === 'Running')).toBe(true);
  });
});
