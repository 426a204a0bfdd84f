import { AppsV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubectlApply, operatorUnderTest, platform, suiteNamespace } from './support.ts';

describe('dry-run mode', () => {
  const { ns, kc } = suiteNamespace('gpr');

  it('logs what it would create and change, and writes nothing', async () => {
    await kubectlApply(platform(ns, 'girok'));
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const dry = operatorUnderTest(kc, {
      dryRun: true,
      log: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    });
    await dry.reconciler.reconcile(ns, 'girok');
    expect(dry.writes.total).toBe(0);
    expect(lines.map((l) => l.message)).toContain(`dry-run: would create Deployment ${ns}/girok-identity`);
    expect((await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: ns })).items).toEqual([]);

    // Converge for real, drift one field, and ask again: the dry run names exactly that field.
    const real = operatorUnderTest(kc);
    await real.reconciler.reconcile(ns, 'girok');
    await kc.makeApiClient(AppsV1Api).patchNamespacedDeployment({
      namespace: ns,
      name: 'girok-legal',
      body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
    });
    lines.length = 0;
    await dry.reconciler.reconcile(ns, 'girok');
    expect(dry.writes.total).toBe(0);
    const update = lines.find((l) => l.message === `dry-run: would update Deployment ${ns}/girok-legal`);
    expect(update?.fields).toEqual({ changes: ['spec.replicas'] });
    await real.reconciler.reconcile(ns, 'girok');
  });
});
