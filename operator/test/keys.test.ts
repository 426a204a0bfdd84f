import { AppsV1Api, CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  condition,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

const decode = (s: V1Secret, key: string) => Buffer.from(s.data?.[key] ?? '', 'base64').toString();

describe('what the operator gives each component, on a real API server', () => {
  const { ns, kc } = suiteNamespace('gpk');
  const name = 'keys';
  let op: ReturnType<typeof operatorUnderTest>;
  let core: CoreV1Api;
  const secret = (component: string) =>
    core.readNamespacedSecret({ namespace: ns, name: `${name}-${component}-keys` });

  beforeAll(async () => {
    core = kc.makeApiClient(CoreV1Api);
    op = operatorUnderTest(kc);
    await op.controller.start();
  });

  afterAll(async () => {
    await op?.controller.stop();
  });

  it('generates each component’s key rings and peppers once, and hands them over by reference only', async () => {
    await kubectlApply(platform(ns, name));
    await until('the four key Secrets', async () => {
      const names = (await core.listNamespacedSecret({ namespace: ns })).items.map((s) => s.metadata?.name);
      return ['identity', 'auth', 'legal', 'auth-bff'].every((c) => names.includes(`${name}-${c}-keys`));
    });
    const identity = await secret('identity');
    expect(decode(identity, 'key-ring')).toMatch(/^k1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(decode(identity, 'backup-code-pepper'), 'base64')).toHaveLength(32);
    expect(identity.metadata?.ownerReferences).toBeUndefined();

    const d = await until('the identity Deployment', () =>
      kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ namespace: ns, name: `${name}-identity` })
        .catch(() => undefined),
    );
    const env = d.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'IDENTITY_KEY_RING')?.valueFrom?.secretKeyRef).toEqual({
      name: `${name}-identity-keys`,
      key: 'key-ring',
    });
    expect(env.find((e) => e.name === 'VALKEY_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: `${name}-valkey`,
      key: 'url',
    });
    // No key material in any ConfigMap of the platform.
    const configMaps = await core.listNamespacedConfigMap({ namespace: ns });
    const material = decode(identity, 'key-ring').slice(3);
    for (const cm of configMaps.items) expect(JSON.stringify(cm.data ?? {})).not.toContain(material);

    // The key Secrets are generated before the referenced Secrets are checked: SecretsReady names
    // only what the user has to create (here the databases and Valkey), never a key Secret.
    const secretsReady = await until('SecretsReady reported', async () =>
      condition(await readPlatform(kc, ns, name), 'SecretsReady'),
    );
    expect(secretsReady).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect(secretsReady.message).toContain(`Secret ${ns}/${name}-valkey, needed by auth-bff, identity`);
    expect(secretsReady.message).not.toContain('-keys');
  });

  it('never overwrites a key Secret edited by hand (a rotation), and regenerates only a deleted one', async () => {
    const before = await secret('auth');
    const rotated = `k2:${Buffer.alloc(32, 7).toString('base64')},${decode(before, 'key-ring')}`;
    await core.replaceNamespacedSecret({
      namespace: ns,
      name: `${name}-auth-keys`,
      body: { ...before, data: { ...before.data, 'key-ring': Buffer.from(rotated).toString('base64') } },
    });
    const legalBefore = decode(await secret('legal'), 'erasure-pepper');
    await core.deleteNamespacedSecret({ namespace: ns, name: `${name}-legal-keys` });
    // A spec change makes the operator reconcile everything again.
    await kubectlApply(platform(ns, name, { services: { legal: { replicas: 1 } } }));
    const regenerated = await until('the legal key Secret generated again', async () => {
      const s = await secret('legal').catch(() => undefined);
      return s ? decode(s, 'erasure-pepper') : undefined;
    });
    expect(regenerated).not.toBe(legalBefore);
    // The pass that generated legal's Secret again went past auth's and left it as edited.
    expect(decode(await secret('auth'), 'key-ring')).toBe(rotated);
  });

  it('names a component whose container cannot start in the ComponentFailing condition', async () => {
    // kwok runs no container: a Pod of the component that no scheduler takes, whose status says
    // what a kubelet would after the service wrote its ConfigError to /dev/termination-log.
    const labels = {
      'app.kubernetes.io/managed-by': 'girok-operator',
      'platform.girok.dev/instance': name,
      'app.kubernetes.io/name': 'identity',
    };
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: `${name}-identity-crashing`, labels },
        spec: { schedulerName: 'nobody', containers: [{ name: 'identity', image: 'identity-service:test' }] },
      },
    });
    const now = new Date();
    await core.replaceNamespacedPodStatus({
      namespace: ns,
      name: `${name}-identity-crashing`,
      body: {
        metadata: { name: `${name}-identity-crashing`, namespace: ns, labels },
        spec: { containers: [{ name: 'identity', image: 'identity-service:test' }] },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'identity',
              image: 'identity-service:test',
              imageID: '',
              ready: false,
              restartCount: 4,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s' } },
              lastState: {
                terminated: {
                  exitCode: 2,
                  startedAt: now,
                  finishedAt: now,
                  message:
                    'identity-service: ConfigError: Invalid configuration: - IDENTITY_KEY_RING is required\n',
                },
              },
            },
          ],
        },
      },
    });
    // The Pod is no owned kind: a spec change makes the operator look again.
    await kubectlApply(platform(ns, name, { services: { legal: { replicas: 2 } } }));
    const failing = await until('ComponentFailing=True', async () => {
      const p = await readPlatform(kc, ns, name);
      return condition(p, 'ComponentFailing')?.status === 'True' ? p : undefined;
    });
    expect(condition(failing, 'ComponentFailing')?.message).toBe(
      'identity: CrashLoopBackOff: identity-service: ConfigError: Invalid configuration: - IDENTITY_KEY_RING is required',
    );
    expect(condition(failing, 'Ready')?.status).toBe('False');

    await core.deleteNamespacedPod({
      namespace: ns,
      name: `${name}-identity-crashing`,
      gracePeriodSeconds: 0,
    });
    await kubectlApply(platform(ns, name, { services: { legal: { replicas: 1 } } }));
    await until('ComponentFailing=False once the Pod is gone', async () => {
      const p = await readPlatform(kc, ns, name);
      return condition(p, 'ComponentFailing')?.status === 'False';
    });
  });

  it('keeps the key Secrets when the platform is deleted: without them encrypted data is lost', async () => {
    await kubectl('-n', ns, 'delete', `girokplatform/${name}`, '--wait=true', '--timeout=60s');
    await until('the Deployments garbage-collected', async () => {
      const left = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: ns });
      return left.items.length === 0;
    });
    const names = (await core.listNamespacedSecret({ namespace: ns })).items.map((s) => s.metadata?.name);
    expect(names).toEqual(expect.arrayContaining([`${name}-identity-keys`, `${name}-auth-keys`]));
  });
});
