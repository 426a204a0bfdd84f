import { Audience, accessOf, EDGE_WORKLOADS, httpOf } from '@girok/contracts/access';
import { infraEnv } from '@girok/e2e/infra';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  PolicyV1Api,
} from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, components } from '../src/specs/catalogue.ts';
import { REFLECTION_SERVICES } from '../src/specs/gateway.ts';
import {
  acceptRoutes,
  condition,
  createPlatformSecrets,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

/** A component's RPCs as its descriptors declare them, read here without the code under test. */
const rpcs = (c: Component) =>
  c.grpcServices.flatMap((s) =>
    s.methods.map((m) => ({ service: s.typeName, method: m.name, access: accessOf(m), http: httpOf(m) })),
  );

describe('a GirokPlatform reconciled on a real API server', () => {
  const { ns, kc } = suiteNamespace('gp');
  const name = 'girok';
  let op: ReturnType<typeof operatorUnderTest>;
  const logged: { message: string; fields?: Record<string, unknown> }[] = [];
  let apps: AppsV1Api;
  let core: CoreV1Api;
  const spec = () => ({
    gateway: { enabled: true, tlsSecretName: 'girok-tls' },
    networkPolicy: { enabled: true },
    events: {
      brokers: infraEnv('KAFKA_BROKERS').split(','),
      topics: [{ name: `smoke-${ns}.v1`, partitions: 2 }],
    },
  });

  beforeAll(async () => {
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
    op = operatorUnderTest(kc, {
      log: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
    });
    await op.controller.start();
  });

  afterAll(async () => {
    await op?.controller.stop();
  });

  const deployment = (component: string) =>
    apps.readNamespacedDeployment({ namespace: ns, name: `${name}-${component}` });

  it('becomes Ready at its generation with every child, route, DNS name and topic in place', async () => {
    await createPlatformSecrets(kc, ns, name, ['girok-tls']);
    await kubectlApply(platform(ns, name, spec()));
    const custom = kc.makeApiClient(CustomObjectsApi);
    await until('the routes', async () => {
      const list = (await custom.listNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        plural: 'httproutes',
        namespace: ns,
      })) as { items: unknown[] };
      return list.items.length === 2;
    });
    await acceptRoutes(kc, ns, name);
    const ready = await until(
      'Ready=True at the current generation',
      async () => {
        const p = await readPlatform(kc, ns, name);
        return condition(p, 'Ready')?.status === 'True' &&
          p.status?.observedGeneration === p.metadata?.generation
          ? p
          : undefined;
      },
      90_000,
    );

    for (const type of ['SecretsReady', 'ServicesReady', 'RoutesReady', 'DnsReady', 'TopicsReady'])
      expect(condition(ready, type)?.status).toBe('True');
    expect(condition(ready, 'Degraded')?.status).toBe('False');
    const table = (await kubectl('-n', ns, 'get', 'gp')).trim().split('\n');
    expect(table[0]?.split(/\s+/)).toEqual(['NAME', 'READY', 'ENVIRONMENT', 'VERSION', 'AGE']);
    expect(table[1]?.split(/\s+/).slice(0, 4)).toEqual([name, 'True', 'dev', '1.0.0']);
    expect(ready.status?.services?.identity).toEqual({
      image: 'registry.girok.test/girok/identity-service:1.0.0',
      replicas: 2,
      readyReplicas: 2,
    });
    expect(ready.status?.endpoints).toEqual({
      grpc: 'grpc-dev.girok.test:443',
      api: 'https://api-dev.girok.test',
      bff: 'https://bff-dev.girok.test',
      dns: 'svc-dev.girok.test',
    });

    const identity = await deployment('identity');
    expect(identity.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'GirokPlatform',
      name,
      controller: true,
    });
    expect(identity.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'girok-operator',
      'platform.girok.dev/instance': name,
    });
    expect(
      identity.metadata?.managedFields?.some(
        (f) => f.manager === 'girok-operator' && f.operation === 'Apply',
      ),
    ).toBe(true);
    expect(identity.status?.availableReplicas).toBe(2);

    const service = await core.readNamespacedService({ namespace: ns, name: `${name}-auth` });
    expect(service.spec?.ports?.find((p) => p.name === 'grpc')).toMatchObject({
      port: 50052,
      appProtocol: 'kubernetes.io/h2c',
    });
    const pdbs = await kc.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace: ns });
    expect(pdbs.items).toHaveLength(5);
    const policies = await kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: ns });
    expect(policies.items.map((p) => p.metadata?.name).sort()).toEqual(
      [`${name}-default-deny`, ...components.map((c) => `${name}-${c.name}-ingress`)].sort(),
    );
    // Each gRPC port admits, besides the Gateway, exactly the components its contract names, and the
    // edge components (the BFF carries users' tokens) where it publishes anything.
    for (const c of components.filter((x) => x.grpcPort !== undefined)) {
      const ingress = policies.items.find((p) => p.metadata?.name === `${name}-${c.name}-ingress`)?.spec
        ?.ingress;
      const callers = (ingress ?? [])
        .filter((r) => r.ports?.[0]?.port === c.grpcPort)
        .flatMap((r) => r._from ?? [])
        .map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name']);
      const published = rpcs(c).some((r) => r.access.audience !== Audience.WORKLOADS);
      expect(callers.sort()).toEqual(
        [...new Set([...rpcs(c).flatMap((r) => r.access.workloads), ...(published ? EDGE_WORKLOADS : [])])]
          .map((w) => components.find((x) => x.workload === w)?.name)
          .sort(),
      );
    }

    const grpc = (await custom.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'grpcroutes',
      namespace: ns,
      name: `${name}-grpc`,
    })) as {
      spec: {
        hostnames: string[];
        rules: { matches: { method: { type: string; service: string; method?: string } }[] }[];
      };
    };
    expect(grpc.spec.hostnames).toEqual(['grpc-dev.girok.test']);
    const routed = grpc.spec.rules.flatMap((r) =>
      r.matches.map((m) => `${m.method.service}/${m.method.method}`),
    );
    const all = components.flatMap(rpcs);
    const workloadsOnly = all.filter((r) => r.access.audience === Audience.WORKLOADS);
    expect(workloadsOnly.length).toBeGreaterThan(0);
    for (const r of workloadsOnly) expect(routed).not.toContain(`${r.service}/${r.method}`);
    // Every published RPC, and server reflection whole (it describes only the published contract).
    expect(routed.sort()).toEqual(
      [
        ...all.filter((r) => r.access.audience !== Audience.WORKLOADS).map((r) => `${r.service}/${r.method}`),
        ...REFLECTION_SERVICES.map((s) => `${s}/undefined`),
      ].sort(),
    );

    const api = (await custom.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: ns,
      name: `${name}-api`,
    })) as { spec: { rules: { matches: { path: { type: string; value: string }; method: string }[] }[] } };
    const matches = api.spec.rules.flatMap((r) => r.matches);
    expect(matches.length).toBeGreaterThan(0);
    for (const r of workloadsOnly) {
      if (!r.http) continue;
      const request = r.http.path.replaceAll(/\{\w+\}/g, 'x');
      const reaching = matches.filter(
        (m) =>
          m.method === r.http?.method &&
          (m.path.type === 'Exact' ? m.path.value === request : new RegExp(m.path.value).test(request)),
      );
      expect(reaching, `${r.http.method} ${r.http.path} (${r.method}) is routed`).toEqual([]);
    }

    const accounts = await core.listNamespacedServiceAccount({
      namespace: ns,
      labelSelector: `platform.girok.dev/instance=${name}`,
    });
    expect(accounts.items.map((a) => a.metadata?.name).sort()).toEqual(
      components.map((c) => `${name}-${c.workload}`).sort(),
    );
    for (const c of components) {
      const pod = (await deployment(c.name)).spec?.template.spec;
      expect(pod?.serviceAccountName).toBe(`${name}-${c.workload}`);
      expect(pod?.volumes?.find((v) => v.name === 'workload-token')?.projected?.sources).toEqual([
        { serviceAccountToken: { audience: 'girok', expirationSeconds: 3600, path: 'token' } },
      ]);
      expect(pod?.containers[0]?.volumeMounts).toContainEqual({
        name: 'workload-token',
        mountPath: '/var/run/secrets/girok',
        readOnly: true,
      });
    }

    const snippet = await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns-custom' });
    expect(snippet.data?.[`girok-${ns}-${name}.override`]).toContain(
      `rewrite stop name exact identity.svc-dev.girok.test ${name}-identity.${ns}.svc.cluster.local answer auto`,
    );

    const admin = new Kafka({
      brokers: infraEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    // Under the platform's prefix (its name by default), as the components' kit names them.
    const meta = await admin.fetchTopicMetadata({
      topics: [`${name}.identity.session.v1`, `${name}.smoke-${ns}.v1`],
    });
    await admin.disconnect();
    const sorted = [...meta.topics].sort((a, b) => a.name.localeCompare(b.name));
    expect(sorted.map((t) => [t.name, t.partitions.length])).toEqual([
      [`${name}.identity.session.v1`, 6],
      [`${name}.smoke-${ns}.v1`, 2],
    ]);

    const events = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.name=${name}`,
    });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'Ready']));
  });

  it('makes zero writes when it reconciles an unchanged platform', async () => {
    await op.controller.idle();
    const before = op.writes.log.length;
    expect(await op.reconciler.reconcile(ns, name)).toEqual({});
    expect(op.writes.log.slice(before)).toEqual([]);
  });

  it('follows a change of replicas, version and partitions, and prunes what is no longer desired', async () => {
    const next = spec();
    next.events.topics = [{ name: `smoke-${ns}.v1`, partitions: 4 }];
    await kubectlApply(
      platform(ns, name, { ...next, version: '1.1.0', services: { identity: { replicas: 1 } } }),
    );
    await until('identity at 1 replica of 1.1.0', async () => {
      const d = await deployment('identity');
      return (
        d.spec?.replicas === 1 &&
        d.spec.template.spec?.containers[0]?.image === 'registry.girok.test/girok/identity-service:1.1.0'
      );
    });
    await until('the identity PodDisruptionBudget to be pruned', async () => {
      const pdbs = await kc.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace: ns });
      return pdbs.items.length === 4 && !pdbs.items.some((p) => p.metadata?.name === `${name}-identity`);
    });
    await until('the topic grown to 4 partitions', async () => {
      const p = await readPlatform(kc, ns, name);
      return p.status?.topics?.find((t) => t.name === `${name}.smoke-${ns}.v1`)?.partitions === 4;
    });
  });

  it('recreates a deleted child', async () => {
    const before = await core.readNamespacedService({ namespace: ns, name: `${name}-auth` });
    await core.deleteNamespacedService({ namespace: ns, name: `${name}-auth` });
    const after = await until('the Service to be back', async () => {
      const s = await core
        .readNamespacedService({ namespace: ns, name: `${name}-auth` })
        .catch(() => undefined);
      return s && s.metadata?.uid !== before.metadata?.uid ? s : undefined;
    });
    expect(after.spec?.ports?.map((p) => p.port)).toEqual([3001, 50052, 9464]);
  });

  it('reverts an owned field edited out of band', async () => {
    await kubectl('-n', ns, 'scale', `deployment/${name}-legal`, '--replicas=7');
    await until('replicas back to 2', async () => (await deployment('legal')).spec?.replicas === 2);
  });

  it('makes no writes while paused, and catches up when resumed', async () => {
    logged.length = 0;
    await kubectl('-n', ns, 'annotate', `girokplatform/${name}`, 'platform.girok.dev/paused=true');
    // Reconciles of one key are serialised: once one has seen the annotation, none in flight predates it.
    await until('a reconcile to see the pause', async () =>
      logged.some((l) => l.message === 'paused: no writes'),
    );
    await op.controller.idle();
    const before = op.writes.log.length;
    await kubectlApply(
      platform(ns, name, {
        ...spec(),
        version: '1.1.0',
        services: { identity: { replicas: 1 }, legal: { replicas: 3 } },
      }),
    );
    await new Promise((r) => setTimeout(r, 2000));
    await op.controller.idle();
    expect(op.writes.log.slice(before)).toEqual([]);
    expect((await deployment('legal')).spec?.replicas).toBe(2);

    await kubectl('-n', ns, 'annotate', `girokplatform/${name}`, 'platform.girok.dev/paused-');
    await until('legal at 3 replicas', async () => (await deployment('legal')).spec?.replicas === 3);
  });

  it('removes its children and its CoreDNS snippet when deleted', async () => {
    await kubectl('-n', ns, 'delete', `girokplatform/${name}`, '--wait=true', '--timeout=60s');
    const snippet = await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns-custom' });
    expect(snippet.data?.[`girok-${ns}-${name}.override`]).toBeUndefined();
    await until('the children to be garbage-collected', async () => {
      const left = await apps.listNamespacedDeployment({ namespace: ns });
      return left.items.length === 0;
    });
  });
});
