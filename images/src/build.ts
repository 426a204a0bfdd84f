import fs from 'node:fs';
import path from 'node:path';
import type { Progress } from '@girok/e2e/infra';
import { APP_DIR, appEntries, type Lockfile } from './app.ts';
import { baseInputs, NODE_PATH, NONROOT } from './base.ts';
import { images as allImages, type ImageDef } from './catalogue.ts';
import { type Descriptor, type Layer, MEDIA, OciLayout } from './oci.ts';
import { writeTar } from './tar.ts';

export interface BuildOptions {
  /** The repository root: workspaces, node_modules and package-lock.json are read from here. */
  readonly repoRoot: string;
  /** Receives `oci/` (the OCI image layout) and `gzip-memo/` (which tar became which blob). */
  readonly outDir: string;
  /** The project's cache (GIROK_CACHE_DIR): Node's package and the Debian packages. */
  readonly girokCacheDir: string;
  /** The Node version in the base layer: the pinned one the build itself runs on. */
  readonly nodeVersion: string;
  /** Every file's modification time, in seconds (SOURCE_DATE_EPOCH; 0 when unset). */
  readonly mtime: number;
  readonly progress: Progress;
  /** Build only these (refs such as `operator`); all when absent. */
  readonly only?: readonly string[];
}

export interface BuiltImage {
  readonly repository: string;
  readonly ref: string;
  /** The manifest digest: what a Deployment names after `@`. */
  readonly digest: string;
  readonly layers: readonly Layer[];
}

export interface BuildResult {
  /** The OCI image layout folder (`skopeo inspect oci:<layout>:<ref>`). */
  readonly layout: string;
  readonly images: readonly BuiltImage[];
}

/** Builds every image into one OCI layout: the shared base layer once, then one app layer each. */
export async function buildImages(options: BuildOptions): Promise<BuildResult> {
  const { progress } = options;
  const selected = selectImages(options.only);
  const layout = new OciLayout(path.join(options.outDir, 'oci'), path.join(options.outDir, 'gzip-memo'));
  const base = await baseInputs(options.girokCacheDir, options.nodeVersion, progress);
  const baseLayer = await progress.step('base layer (Debian packages + Node)', () =>
    layout.writeLayer(writeTar(base.entries, options.mtime)),
  );
  const lock = JSON.parse(
    fs.readFileSync(path.join(options.repoRoot, 'package-lock.json'), 'utf8'),
  ) as Lockfile;
  const built: BuiltImage[] = [];
  const manifests: Descriptor[] = [];
  for (const image of selected) {
    const appLayer = await progress.step(`${image.repository} app layer`, () =>
      layout.writeLayer(writeTar(appEntries(options.repoRoot, lock, image), options.mtime)),
    );
    const layers = [baseLayer, appLayer];
    const labels = {
      'org.opencontainers.image.title': image.repository,
      'dev.girok.base.debian': base.debs.join(' '),
      'dev.girok.base.node': base.nodeVersion,
    };
    const config = layout.writeBlob(MEDIA.config, json(imageConfig(image, layers, labels)));
    const manifest = layout.writeBlob(
      MEDIA.manifest,
      json({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config,
        layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      }),
    );
    manifests.push({ ...manifest, annotations: { 'org.opencontainers.image.ref.name': image.ref } });
    built.push({ repository: image.repository, ref: image.ref, digest: manifest.digest, layers });
  }
  layout.writeIndex(manifests);
  return { layout: layout.dir, images: built };
}

function selectImages(only: readonly string[] | undefined): readonly ImageDef[] {
  if (!only || only.length === 0) return allImages;
  const unknown = only.filter((ref) => !allImages.some((i) => i.ref === ref));
  if (unknown.length > 0) {
    throw new Error(
      `no image ${unknown.join(', ')}; the images are ${allImages.map((i) => i.ref).join(', ')}`,
    );
  }
  return allImages.filter((i) => only.includes(i.ref));
}

/**
 * The image config: no `created` time and no history, so nothing but content decides its digest.
 * It runs as `nonroot` and writes nothing outside /tmp, so a read-only root file system works.
 */
function imageConfig(image: ImageDef, layers: readonly Layer[], labels: Record<string, string>) {
  const workdir = `${APP_DIR}/${image.workspace}`;
  return {
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: `${NONROOT}:${NONROOT}`,
      Env: [
        'PATH=/usr/local/bin:/usr/bin:/bin',
        'NODE_ENV=production',
        'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      ],
      Entrypoint: [NODE_PATH, `${workdir}/${image.main}`],
      WorkingDir: workdir,
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
