import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, infraEnv, versions } from '@girok/e2e/infra';
import { describe, expect, it } from 'vitest';
import { kubectl } from './support.ts';

const chart = fileURLToPath(new URL('../../charts/girok-operator', import.meta.url));
const healthLua = path.join(chart, 'argocd/girokplatform-health.lua');

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

  it('references the image by digest when image.digest is set, else by tag', async () => {
    const digest = `sha256:${'0f'.repeat(32)}`;
    const image = async (...set: string[]) =>
      /image: "([^"]+)"/.exec(
        await exec(infraEnv('HELM'), [
          'template',
          'girok-operator',
          chart,
          '--kube-version',
          versions.kubernetes,
          ...set,
        ]),
      )?.[1];
    expect(await image('--set', `image.digest=${digest}`)).toBe(`ghcr.io/girok/operator@${digest}`);
    expect(await image('--set', 'image.tag=1.2.3')).toBe('ghcr.io/girok/operator:1.2.3');
    await expect(image('--set', 'image.digest=latest')).rejects.toThrow(/digest/);
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

/** JSON -> Lua table constructor, so a sample object can be handed to the health script. */
const lua = (v: unknown): string => {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return `{${v.map(lua).join(',')}}`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `[${JSON.stringify(k)}]=${lua(x)}`)
      .join(',')}}`;
  return JSON.stringify(v);
};

async function health(obj: unknown): Promise<{ status: string; message: string }> {
  const script = `obj = ${lua(obj)}\nlocal hs = dofile(${JSON.stringify(healthLua)})\nprint(hs.status .. "|" .. hs.message)`;
  const out = await exec(infraEnv('LUA'), ['-e', script]);
  const [status = '', message = ''] = out.trim().split('|');
  return { status, message };
}

const cond = (type: string, status: string, message = `${type} is ${status}`) => ({
  type,
  status,
  message,
  reason: type,
});

describe('the Argo CD health check', () => {
  it('is Healthy only when Ready is True at the current generation', async () => {
    const ready = {
      metadata: { generation: 3 },
      status: { observedGeneration: 3, conditions: [cond('Ready', 'True', 'all good')] },
    };
    expect(await health(ready)).toEqual({ status: 'Healthy', message: 'all good' });
    expect((await health({ ...ready, metadata: { generation: 4 } })).status).toBe('Progressing');
  });

  it('is Degraded when Degraded is True, Progressing while converging or before any status', async () => {
    const degraded = {
      metadata: { generation: 2 },
      status: {
        observedGeneration: 2,
        conditions: [cond('Ready', 'False'), cond('Degraded', 'True', 'broker unreachable')],
      },
    };
    expect(await health(degraded)).toEqual({ status: 'Degraded', message: 'broker unreachable' });
    const converging = {
      metadata: { generation: 2 },
      status: { observedGeneration: 2, conditions: [cond('Ready', 'False', 'available: identity 1/2')] },
    };
    expect(await health(converging)).toEqual({ status: 'Progressing', message: 'available: identity 1/2' });
    expect((await health({ metadata: { generation: 1 } })).status).toBe('Progressing');
  });
});
