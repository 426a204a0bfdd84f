import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, infraEnv, resolveA, startCoreDns } from '@girok/e2e/infra';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlApply, operatorUnderTest, platform, suiteNamespace, until } from './support.ts';

describe('the generated CoreDNS snippet, loaded by a real CoreDNS', () => {
  const { ns, kc } = suiteNamespace('gpd');
  let core: CoreV1Api;

  beforeAll(async () => {
    core = kc.makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    // Let the reconciler run the finalizer, so the namespace is not left waiting on it.
    await kubectl('-n', ns, 'delete', 'girokplatform/girok', '--wait=false').catch(() => {});
    await operatorUnderTest(kc).reconciler.reconcile(ns, 'girok');
  });

  it('resolves <component>.svc-<env>.<domain> to the component’s ClusterIP', async () => {
    await kubectlApply(platform(ns, 'girok', { environment: 'qa', domain: 'dns.girok.test' }));
    const { reconciler } = operatorUnderTest(kc);
    await reconciler.reconcile(ns, 'girok');
    const key = `girok-${ns}-girok.override`;
    const snippet = await until(
      'the snippet',
      async () =>
        (await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns-custom' })).data?.[
          key
        ],
    );
    const service = await core.readNamespacedService({ namespace: ns, name: 'girok-identity' });

    // The cluster's CoreDNS in miniature: the imported snippet in front of the kubernetes plugin
    // serving cluster.local from the test API server.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-coredns-op-'));
    const port = await freePort();
    const coredns = await startCoreDns({
      binary: infraEnv('COREDNS_BIN'),
      dir,
      port,
      probeName: 'kubernetes.default.svc.cluster.local',
      corefile: `.:${port} {\n    bind 127.0.0.1\n${snippet
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join(
          '\n',
        )}\n    kubernetes cluster.local {\n        kubeconfig ${infraEnv('KUBECONFIG')} girok-infra\n    }\n}\n`,
    });
    try {
      expect(await resolveA(port, 'identity.svc-qa.dns.girok.test')).toEqual([service.spec?.clusterIP]);
      const bff = await core.readNamespacedService({ namespace: ns, name: 'girok-auth-bff' });
      expect(await resolveA(port, 'auth-bff.svc-qa.dns.girok.test')).toEqual([bff.spec?.clusterIP]);
      expect(await resolveA(port, 'unknown.svc-qa.dns.girok.test')).toEqual([]);
    } finally {
      await coredns.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
