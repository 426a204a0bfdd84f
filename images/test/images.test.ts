import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { infraEnv } from '@girok/e2e/infra';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildResult,
  buildImages,
  defaultBuildOptions,
  images,
  type PushedImage,
  pushImages,
} from '../src/index.ts';
import { runBundle, unpack } from './runc.ts';

const options = defaultBuildOptions();
let built: BuildResult;
const digestOf = (ref: string) => built.images.find((i) => i.ref === ref)?.digest;

const skopeoJson = (args: string[]) => {
  const result = spawnSync(infraEnv('SKOPEO'), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  const started = Date.now();
  built = await buildImages(options);
  process.stderr.write(`[images] built ${built.images.length} images in ${(Date.now() - started) / 1000}s\n`);
});

describe('the image build', () => {
  it('builds every image on one shared base layer', () => {
    expect(built.images.map((i) => i.repository).sort()).toEqual(images.map((i) => i.repository).sort());
    const bases = new Set(built.images.map((i) => i.layers[0]?.digest));
    expect(bases.size).toBe(1);
    expect(new Set(built.images.map((i) => i.layers[1]?.digest)).size).toBe(images.length);
  });

  it('is reproducible: a cold build into an empty folder gives the same digests', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-images-'));
    try {
      const started = Date.now();
      const cold = await buildImages({ ...options, outDir, only: ['operator'] });
      process.stderr.write(`[images] cold operator build in ${(Date.now() - started) / 1000}s\n`);
      expect(cold.images[0]?.layers.map((l) => l.digest)).toEqual(
        built.images.find((i) => i.ref === 'operator')?.layers.map((l) => l.digest),
      );
      expect(cold.images[0]?.digest).toBe(digestOf('operator'));
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('writes a layout skopeo reads, every image running Node as the non-root user', () => {
    for (const image of built.images) {
      const layoutRef = `oci:${built.layout}:${image.ref}`;
      expect(skopeoJson(['inspect', layoutRef]).Digest).toBe(image.digest);
      const config = skopeoJson(['inspect', '--config', layoutRef]) as {
        config: { User: string; Entrypoint: string[]; WorkingDir: string };
        created?: string;
      };
      expect(config.config.User).toBe('65532:65532');
      expect(config.config.Entrypoint[0]).toBe('/usr/local/bin/node');
      expect(config.config.WorkingDir).toMatch(/^\/app\//);
      expect(config.created).toBeUndefined();
    }
  });
});

describe('the registry', () => {
  let pushed: PushedImage[];
  beforeAll(async () => {
    pushed = await pushImages(built.layout, built.images, infraEnv('REGISTRY_ADDR'), '0.0.0-test');
  });

  it('serves every pushed manifest back by its digest, byte for byte', async () => {
    for (const image of pushed) {
      const response = await fetch(
        `http://${infraEnv('REGISTRY_ADDR')}/v2/${image.repository}/manifests/${image.digest}`,
        {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        },
      );
      expect(response.status).toBe(200);
      const body = Buffer.from(await response.arrayBuffer());
      expect(`sha256:${createHash('sha256').update(body).digest('hex')}`).toBe(
        built.images.find((i) => i.repository === image.repository)?.digest,
      );
      expect(image.reference).toBe(`${infraEnv('REGISTRY_ADDR')}/${image.repository}@${image.digest}`);
    }
  });

  it('is read by an independent client (skopeo) by digest', () => {
    const operator = pushed.find((p) => p.repository === 'girok/operator');
    const remote = skopeoJson(['inspect', '--tls-verify=false', `docker://${operator?.reference}`]);
    expect(remote.Digest).toBe(digestOf('operator'));
  });
});

describe('the images run (umoci unpack, runc, read-only root)', () => {
  const bundles = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-bundles-'));
  const run = (ref: string, change: Parameters<typeof runBundle>[2] = {}) =>
    runBundle(path.join(bundles, ref), `girok-images-${ref}-${process.pid}`, change);

  beforeAll(async () => {
    const started = Date.now();
    await Promise.all(images.map((image) => unpack(built.layout, image.ref, path.join(bundles, image.ref))));
    process.stderr.write(`[images] unpacked ${images.length} bundles in ${(Date.now() - started) / 1000}s\n`);
    return () => fs.rmSync(bundles, { recursive: true, force: true });
  });

  it('runs Node as nonroot and cannot write to its root file system', () => {
    const probe = `console.log(process.version, process.getuid(), require('os').userInfo().username);
      try { require('fs').writeFileSync('/probe', 'x') } catch (e) { console.log(e.code) }`;
    const result = run('operator', { args: ['/usr/local/bin/node', '-e', probe] });
    expect(result.output.trim()).toBe(`${process.version} 65532 nonroot\nEROFS`);
    expect(result.status).toBe(0);
  });

  it('starts the operator from its TypeScript, which loads every module and stops on a bad setting by name', () => {
    const result = run('operator', { env: ['GIROK_CONCURRENCY=none'] });
    expect(result.output).toContain('GIROK_CONCURRENCY must be an integer from 1 to 64, got "none"');
    expect(result.status).toBe(1);
  });

  it.each(images.filter((i) => i.ref !== 'operator').map((i) => i.ref))(
    'starts %s, which loads every module and reports its missing configuration',
    (ref) => {
      const result = run(ref);
      expect(result.output).toContain('Invalid configuration');
      expect(result.output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    },
  );
});
