import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, infraEnv, versions } from '@girok/e2e/infra';
import { describe, expect, it } from 'vitest';
import { kubectl } from './support.ts';

const chart = fileURLToPath(new URL('../../charts/girok-operator', import.meta.url));

describe('the girok-operator Helm chart', () => {
  it('passes helm lint --strict', async () => {
    expect(await exec(infraEnv('HELM'), ['lint', '--strict', chart])).toMatch(
      /1 chart\(s\) linted, 0 chart\(s\) failed/,
    );
  });

  it('refuses values outside its schema', async () => {
    await expect(
      exec(infraEnv('HELM'), ['lint', '--strict', chart, '--set', 'replicaCount=0']),
    ).rejects.toThrow(/replicaCount/);
  });

  it('renders manifests the API server accepts, with two replicas and least-privilege RBAC', async () => {
    const rendered = await exec(infraEnv('HELM'), [
      'template',
      'girok-operator',
      chart,
      '--namespace',
      'default',
      '--include-crds',
      '--kube-version',
      versions.kubernetes,
    ]);
    expect(rendered).toMatch(/replicas: 2/);
    expect(rendered).not.toMatch(/verbs: \["\*"\]|resources: \["\*"\]/);
    const file = path.join(os.tmpdir(), `girok-operator-chart-${process.pid}.yaml`);
    fs.writeFileSync(file, rendered);
    try {
      const applied = await kubectl('apply', '--dry-run=server', '-f', file);
      for (const kind of [
        'serviceaccount',
        'clusterrole.rbac.authorization.k8s.io',
        'role.rbac.authorization.k8s.io',
        'deployment.apps',
      ]) {
        expect(applied).toContain(`${kind}/girok-operator`);
      }
      expect(applied).toContain(
        'customresourcedefinition.apiextensions.k8s.io/girokplatforms.platform.girok.dev',
      );
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
