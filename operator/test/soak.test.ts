import { infraEnv } from '@girok/e2e/infra';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptRoutes,
  condition,
  createNamespace,
  createPlatformSecrets,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

// What a soak on the real API server found, each kept fixed here.
describe('a GirokPlatform under a soak on a real API server', () => {
  const { ns, kc } = suiteNamespace('gps');
  const quotaNs = `${ns}-quota`;
  let op: ReturnType<typeof operatorUnderTest>;
  const logged: string[] = [];

  beforeAll(async () => {
    // No resync during the suite: whatever is repaired is repaired by a watch.
    op = operatorUnderTest(kc, { resyncMs: 3_600_000, log: (message) => logged.push(message) });
    await op.controller.start();
  });

  afterAll(async () => {
    await op?.controller.stop();
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: quotaNs })
      .catch(() => {});
  });

  const settled = (name: string, namespace = ns) =>
    until(`${name} to be reconciled at its generation`, async () => {
      const p = await readPlatform(kc, namespace, name);
      return p.status?.observedGeneration === p.metadata?.generation ? p : undefined;
    });

  it('rebuilds a deleted child of every owned kind from its watch, long before any resync', async () => {
    await createPlatformSecrets(kc, ns, 'watched', ['watched-tls']);
    await kubectlApply(
      platform(ns, 'watched', {
        environment: 'w1',
        dns: { enabled: false },
        gateway: { enabled: true, tlsSecretName: 'watched-tls' },
        networkPolicy: { enabled: true },
      }),
    );
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const children = [
      ['policy/v1', 'PodDisruptionBudget', 'watched-identity'],
      ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'watched-api'],
      ['gateway.networking.k8s.io/v1', 'GRPCRoute', 'watched-grpc'],
      ['gateway.networking.k8s.io/v1', 'Gateway', 'watched'],
      ['v1', 'ServiceAccount', 'watched-auth-service'],
      ['networking.k8s.io/v1', 'NetworkPolicy', 'watched-default-deny'],
      ['v1', 'ConfigMap', 'watched-legal-config'],
    ] as const;
    const read = (apiVersion: string, kind: string, name: string) =>
      objects.read({ apiVersion, kind, metadata: { name, namespace: ns } }).catch(() => undefined);
    for (const [apiVersion, kind, name] of children)
      await until(`${kind} ${name}`, async () => (await read(apiVersion, kind, name)) !== undefined);

    for (const [apiVersion, kind, name] of children) {
      // Ready, so nothing requeues it: only a watch can notice the deletion.
      await until('Ready=True', async () => {
        await acceptRoutes(kc, ns, 'watched');
        return condition(await readPlatform(kc, ns, 'watched'), 'Ready')?.status === 'True';
      });
      await op.controller.idle();
      const before = await read(apiVersion, kind, name);
      await objects.delete({ apiVersion, kind, metadata: { name, namespace: ns } });
      await until(
        `${kind} ${name} to be rebuilt`,
        async () => {
          const after = await read(apiVersion, kind, name);
          return after !== undefined && after.metadata?.uid !== before?.metadata?.uid;
        },
        20_000,
      );
    }
  });

  it('finalizes a paused platform when it is deleted, and a re-apply of its name is reconciled', async () => {
    await kubectlApply(platform(ns, 'paused', { environment: 'p1', dns: { enabled: false } }));
    await until('the finalizer', async () =>
      (await readPlatform(kc, ns, 'paused')).metadata?.finalizers?.includes('platform.girok.dev/cleanup'),
    );
    await kubectl('-n', ns, 'annotate', 'girokplatform/paused', 'platform.girok.dev/paused=true');
    await until('a reconcile to see the pause', async () => logged.includes('paused: no writes'));
    await kubectl('-n', ns, 'delete', 'girokplatform/paused', '--wait=true', '--timeout=30s');

    await kubectlApply(platform(ns, 'paused', { environment: 'p1', dns: { enabled: false } }));
    const again = await settled('paused');
    expect(again.metadata?.annotations?.['platform.girok.dev/paused']).toBeUndefined();
    expect(condition(again, 'ServicesReady')).toBeDefined();
  });

  it('says which Secret is missing and who needs it, and becomes Ready once they exist', async () => {
    await kubectlApply(
      platform(ns, 'nosecrets', {
        environment: 'n1',
        dns: { enabled: false },
        events: { brokers: infraEnv('KAFKA_BROKERS').split(','), authSecretName: 'nosecrets-kafka' },
      }),
    );
    const waiting = await until('SecretsReady=False', async () => {
      const p = await readPlatform(kc, ns, 'nosecrets');
      return condition(p, 'SecretsReady')?.status === 'False' ? p : undefined;
    });
    const secrets = condition(waiting, 'SecretsReady');
    expect(secrets?.reason).toBe('SecretMissing');
    expect(secrets?.message).toContain(
      `Secret ${ns}/nosecrets-identity-database, needed by identity, does not exist`,
    );
    expect(secrets?.message).toContain(
      `Secret ${ns}/nosecrets-kafka, needed by audit, auth, auth-bff, identity, legal, does not exist`,
    );
    expect(condition(waiting, 'TopicsReady')).toMatchObject({
      status: 'False',
      reason: 'SecretMissing',
      message: 'Secret nosecrets-kafka (spec.events.authSecretName) does not exist',
    });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False', reason: 'Progressing' });
    expect(condition(waiting, 'Degraded')?.status).toBe('False');

    await createPlatformSecrets(kc, ns, 'nosecrets');
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'nosecrets-kafka' },
        stringData: { username: 'girok', password: 'not-used' },
      },
    });
    await until('SecretsReady=True', async () => {
      const p = await readPlatform(kc, ns, 'nosecrets');
      return condition(p, 'SecretsReady')?.status === 'True';
    });
  });

  it('retries a refused write with backoff and reports it in one readable sentence', async () => {
    await createNamespace(kc, quotaNs);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedResourceQuota({
      namespace: quotaNs,
      body: { metadata: { name: 'no-services' }, spec: { hard: { services: '0' } } },
    });
    await createPlatformSecrets(kc, quotaNs, 'refused');
    // No Pods: their Deployments settle at once, so no status update of theirs requeues the platform.
    const none = Object.fromEntries(
      ['identity', 'auth', 'legal', 'authBff', 'audit'].map((k) => [k, { replicas: 0 }]),
    );
    await kubectlApply(
      platform(quotaNs, 'refused', { environment: 'r1', dns: { enabled: false }, services: none }),
    );
    const degraded = await until('Degraded=True', async () => {
      const p = await readPlatform(kc, quotaNs, 'refused');
      return condition(p, 'Degraded')?.status === 'True' ? p : undefined;
    });
    expect(condition(degraded, 'Degraded')?.message).toMatch(
      new RegExp(
        `applying Service ${quotaNs}/refused-\\S+: the API server answered 403 Forbidden: .*exceeded quota`,
      ),
    );
    const warnings = await until('the Degraded event', async () => {
      const events = await core.listNamespacedEvent({ namespace: quotaNs, fieldSelector: 'reason=Degraded' });
      return events.items.length > 0 ? events.items : undefined;
    });
    for (const e of warnings) {
      expect(e.type).toBe('Warning');
      expect(e.message).not.toMatch(/\n|Body:|Headers:|HTTP-Code|\{/);
      expect(e.message).toMatch(/\(and \d+ more: see the Degraded condition\)$/);
    }
    const refusedPatches = async () =>
      (await op.metrics.registry.getSingleMetric('rest_client_requests_total')?.get())?.values.find(
        (v) => v.labels.method === 'PATCH' && v.labels.code === '403',
      )?.value ?? 0;
    expect(await refusedPatches()).toBeGreaterThan(0);

    // Each failed reconcile is retried by the queue with growing delays (0.2 s doubling), not on a
    // fixed period: once it has failed five times, the next try is 6.4 s away.
    const attempts = () => op.writes.log.filter((w) => w === 'apply Service/refused-identity').length;
    await until('five refused attempts', async () => attempts() >= 5, 60_000);
    const before = attempts();
    await new Promise((r) => setTimeout(r, 3000));
    // A fixed 500 ms requeue would have made about six more.
    expect(attempts() - before).toBeLessThanOrEqual(1);

    await core.deleteNamespacedResourceQuota({ namespace: quotaNs, name: 'no-services' });
    await until(
      'the Services once the quota is gone',
      async () => (await core.listNamespacedService({ namespace: quotaNs })).items.length === 5,
      90_000,
    );
  });
});
