import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, freePort, infraEnv, versions } from '@girok/e2e/infra';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  condition,
  createNamespace,
  createPlatformSecrets,
  kubectl,
  kubectlApply,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

const chart = fileURLToPath(new URL('../../charts/girok-operator', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('the chart’s RBAC is enough to run the operator', () => {
  const release = `girok-op-${randomUUID().slice(0, 6)}`;
  const system = `${release}-system`;
  const { ns, kc } = suiteNamespace('gpb');
  let operator: ChildProcess | undefined;
  const files: string[] = [];

  beforeAll(async () => {
    await createNamespace(kc, system);
  });

  afterAll(async () => {
    operator?.kill('SIGKILL');
    for (const f of files) fs.rmSync(f, { force: true });
    await kubectl('delete', 'clusterrole,clusterrolebinding', release).catch(() => {});
    const core = kc?.makeApiClient(CoreV1Api);
    await core?.deleteNamespace({ name: system }).catch(() => {});
  });

  it('reconciles a platform to Ready as the chart’s ServiceAccount, leader election included', async () => {
    // The chart's ServiceAccount and RBAC, as `helm install` would create them.
    const rendered = await exec(infraEnv('HELM'), [
      'template',
      release,
      chart,
      '--namespace',
      system,
      '--kube-version',
      versions.kubernetes,
      '--show-only',
      'templates/serviceaccount.yaml',
      '--show-only',
      'templates/rbac.yaml',
    ]);
    const manifest = path.join(os.tmpdir(), `${release}-rbac.yaml`);
    files.push(manifest);
    fs.writeFileSync(manifest, rendered);
    await kubectl('apply', '-f', manifest);

    // A kubeconfig holding only that ServiceAccount's token.
    const token = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: release,
      namespace: system,
      body: { spec: { expirationSeconds: 3600 } },
    });
    const server = kc.getCurrentCluster()?.server ?? '';
    const ca = kc.getCurrentCluster()?.caFile ?? '';
    const config = path.join(os.tmpdir(), `${release}.kubeconfig`);
    files.push(config);
    fs.writeFileSync(
      config,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: ${server}, certificate-authority: ${ca}}}]\nusers: [{name: sa, user: {token: ${token.status?.token}}}]\ncontexts: [{name: c, context: {cluster: c, user: sa}}]\ncurrent-context: c\n`,
    );
    await expect(kubectl('--kubeconfig', config, 'get', 'secrets', '-A')).rejects.toThrow(/forbidden/);

    operator = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        KUBECONFIG: config,
        POD_NAME: `${release}-0`,
        POD_NAMESPACE: system,
        GIROK_METRICS_PORT: String(await freePort()),
      },
      stdio: 'ignore',
    });
    await createPlatformSecrets(kc, ns, 'girok');
    await kubectlApply(platform(ns, 'girok', { networkPolicy: { enabled: true } }));
    const ready = await until(
      'Ready=True under the chart’s RBAC',
      async () => {
        const p = await readPlatform(kc, ns, 'girok');
        return condition(p, 'Ready')?.status === 'True' ? p : undefined;
      },
      90_000,
    );
    expect(condition(ready, 'Degraded')?.status).toBe('False');
    // It generated the key Secrets (get + create) and read the Pods (list) without listing Secrets.
    expect(condition(ready, 'ComponentFailing')?.status).toBe('False');
    const core = kc.makeApiClient(CoreV1Api);
    const keys = await core.readNamespacedSecret({ namespace: ns, name: 'girok-identity-keys' });
    expect(Object.keys(keys.data ?? {}).sort()).toEqual(['backup-code-pepper', 'key-ring']);
    await kubectl('-n', ns, 'delete', 'girokplatform/girok', '--wait=true', '--timeout=60s');
  });
});
