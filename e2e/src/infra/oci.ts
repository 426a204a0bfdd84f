import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exec } from './proc.ts';

export interface OciImage {
  /** The full name containerd gives the imported image, e.g. girok.test/coredns:1.14.7 */
  readonly name: string;
  /** Files of the single layer: where in the image, from which host file. */
  readonly files: readonly { readonly path: string; readonly source: string }[];
  /** Symbolic links of the layer (busybox's applets). */
  readonly links?: readonly { readonly path: string; readonly target: string }[];
  readonly entrypoint: readonly string[];
}

/**
 * Writes a one-layer OCI image archive (`ctr images import` reads it) of static binaries: enough
 * for the node's own images (the Pod sandbox, the cluster DNS) without a registry or a daemon.
 * The layer is reproducible: sorted entries, fixed times and owners.
 */
export async function writeOciArchive(archive: string, image: OciImage): Promise<void> {
  const work = `${archive}.build`;
  fs.rmSync(work, { recursive: true, force: true });
  const rootfs = path.join(work, 'rootfs');
  const blobs = path.join(work, 'layout', 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  for (const file of image.files) {
    const target = path.join(rootfs, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file.source, target);
    fs.chmodSync(target, 0o755);
  }
  for (const link of image.links ?? []) {
    const at = path.join(rootfs, link.path);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(link.target, at);
  }
  fs.mkdirSync(path.join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  const layer = path.join(work, 'layer.tar');
  const reproducible = [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--format=gnu',
  ];
  await exec('tar', [...reproducible, '-C', rootfs, '-cf', layer, '.']);

  const put = (bytes: Buffer) => {
    const digest = createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(path.join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: bytes.length };
  };
  const layerBlob = put(fs.readFileSync(layer));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: image.entrypoint, Env: ['PATH=/bin'] },
        rootfs: { type: 'layers', diff_ids: [layerBlob.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
      }),
    ),
  );
  const layout = path.join(work, 'layout');
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: {
            'io.containerd.image.name': image.name,
            'org.opencontainers.image.ref.name': image.name.slice(image.name.lastIndexOf(':') + 1),
          },
        },
      ],
    }),
  );
  await exec('tar', [...reproducible, '-C', layout, '-cf', `${archive}.tmp`, '.']);
  fs.renameSync(`${archive}.tmp`, archive);
  fs.rmSync(work, { recursive: true, force: true });
}
