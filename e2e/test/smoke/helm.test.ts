import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';
import { CommandError, exec } from '../../src/infra/proc.ts';

const chart = fileURLToPath(new URL('../../fixtures/smoke-chart', import.meta.url));

describe('Helm', () => {
  it('lints the smoke chart', async () => {
    const out = await exec(infraEnv('HELM'), ['lint', '--strict', chart]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses values that break the chart’s values.schema.json', async () => {
    const attempt = exec(infraEnv('HELM'), ['lint', '--strict', chart, '--set', 'replicas=500']);
    await expect(attempt).rejects.toBeInstanceOf(CommandError);
    await expect(attempt).rejects.toThrow(/replicas/);
  });

  it('renders manifests the API server accepts (server-side dry run)', async () => {
    const rendered = await exec(infraEnv('HELM'), [
      'template',
      'smoke',
      chart,
      '--namespace',
      'default',
      '--set',
      'replicas=3',
    ]);
    expect(rendered).toMatch(/replicas: 3/);
    const manifest = path.join(os.tmpdir(), `girok-smoke-chart-${process.pid}.yaml`);
    fs.writeFileSync(manifest, rendered);
    try {
      const applied = await exec(infraEnv('KUBECTL'), [
        '--kubeconfig',
        infraEnv('KUBECONFIG'),
        'apply',
        '--dry-run=server',
        '-f',
        manifest,
      ]);
      expect(applied).toMatch(/deployment.apps\/smoke-web created \(server dry run\)/);
      expect(applied).toMatch(/configmap\/smoke-web created \(server dry run\)/);
    } finally {
      fs.rmSync(manifest, { force: true });
    }
  });
});
