import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, infraEnv } from '@girok/e2e/infra';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  condition,
  createPlatformSecrets,
  kubectlApply,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Operator {
  readonly identity: string;
  readonly port: number;
  readonly process: ChildProcess;
}

describe('the operator process: leader election and restarts', () => {
  const { ns, kc } = suiteNamespace('gpl');
  const leaseName = `girok-operator-${randomUUID().slice(0, 8)}`;
  const running: Operator[] = [];

  const start = async (identity: string): Promise<Operator> => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        KUBECONFIG: infraEnv('KUBECONFIG'),
        POD_NAME: identity,
        GIROK_LEASE_NAMESPACE: ns,
        GIROK_LEASE_NAME: leaseName,
        GIROK_LEASE_SECONDS: '3',
        GIROK_METRICS_PORT: String(port),
        GIROK_RESYNC_SECONDS: '5',
      },
      stdio: 'ignore',
    });
    const op = { identity, port, process: child };
    running.push(op);
    return op;
  };

  const holder = async () =>
    (
      await kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: leaseName, namespace: ns })
        .catch(() => undefined)
    )?.spec?.holderIdentity;
  const leaderMetric = async (op: Operator) => {
    const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
    return text.match(new RegExp(`leader_election_master_status\\{name="${leaseName}"\\} (\\d)`))?.[1];
  };

  afterAll(async () => {
    for (const op of running) op.process.kill('SIGKILL');
  });

  it('lets one of two operators lead; when the leader is killed the other takes over within the lease', async () => {
    const a = await start('operator-a');
    await until('a to hold the lease', async () => (await holder()) === 'operator-a', 30_000);
    const b = await start('operator-b');
    await until(
      'b to answer /healthz',
      () => fetch(`http://127.0.0.1:${b.port}/healthz`).then((r) => r.ok),
      30_000,
    );
    expect(await leaderMetric(b)).toBe('0');
    expect(await leaderMetric(a)).toBe('1');
    expect(await holder()).toBe('operator-a');

    a.process.kill('SIGKILL');
    const killedAt = Date.now();
    await until('b to take the lease', async () => (await holder()) === 'operator-b', 30_000);
    // One lease duration (3 s) without renewal, plus one retry period.
    expect(Date.now() - killedAt).toBeLessThan(3000 + 1000 + 1500);
    expect(await leaderMetric(b)).toBe('1');
  });

  it('converges after being killed in the middle of a reconcile', async () => {
    for (const op of running) op.process.kill('SIGKILL');
    const first = await start('operator-c');
    await until('c to lead', async () => (await holder()) === 'operator-c', 30_000);
    await createPlatformSecrets(kc, ns, 'girok');
    await kubectlApply(platform(ns, 'girok'));
    // Kill it as soon as it has written its first children, mid-way through the first pass.
    const core = kc.makeApiClient(CoreV1Api);
    await until(
      'the first child',
      async () =>
        (
          await core.listNamespacedConfigMap({
            namespace: ns,
            labelSelector: 'platform.girok.dev/instance=girok',
          })
        ).items.length > 0,
      30_000,
    );
    first.process.kill('SIGKILL');

    const second = await start('operator-d');
    const ready = await until(
      'Ready=True after the restart',
      async () => {
        const p = await readPlatform(kc, ns, 'girok');
        return condition(p, 'Ready')?.status === 'True' &&
          p.status?.observedGeneration === p.metadata?.generation
          ? p
          : undefined;
      },
      90_000,
    );
    expect(ready.status?.services?.legal?.readyReplicas).toBe(2);
    // Another operator on the shared API server may have made it Ready first: wait for this one's own reconcile.
    const metrics = await until('the second operator to reconcile', async () => {
      const text = await (await fetch(`http://127.0.0.1:${second.port}/metrics`)).text();
      return /controller_runtime_reconcile_total\{controller="girokplatform",result="(success|requeue_after)"\} [1-9]/.test(
        text,
      )
        ? text
        : undefined;
    });
    expect(metrics).toMatch(
      /controller_runtime_reconcile_time_seconds_bucket\{le="0.005",controller="girokplatform"\}/,
    );
    expect(metrics).toMatch(/workqueue_adds_total\{name="girokplatform"\} [1-9]/);
    expect(metrics).toMatch(/workqueue_depth\{name="girokplatform"\} \d/);
  });
});
