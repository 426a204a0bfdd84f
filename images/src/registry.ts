import fs from 'node:fs';
import path from 'node:path';
import type { BuiltImage } from './build.ts';
import { type Descriptor, MEDIA } from './oci.ts';

export interface PushedImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  /** What a Pod spec names: `<registry>/<repository>@<digest>`. */
  readonly reference: string;
}

/**
 * Pushes images from an OCI layout to a registry over the distribution HTTP API (plain HTTP, no
 * auth: the harness's local registry). Blobs the registry has are skipped; a blob pushed to one
 * repository is mounted into the next (the shared base layer goes over the wire once).
 */
export async function pushImages(
  layout: string,
  images: readonly BuiltImage[],
  registry: string,
  tag: string,
): Promise<PushedImage[]> {
  const base = `http://${registry}/v2`;
  const pushedTo = new Map<string, string>();
  const results: PushedImage[] = [];
  for (const image of images) {
    const manifest = readBlob(layout, image.digest);
    const { config, layers } = JSON.parse(manifest.toString()) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    for (const blob of [config, ...layers]) {
      await pushBlob(
        base,
        image.repository,
        blob.digest,
        () => readBlob(layout, blob.digest),
        pushedTo.get(blob.digest),
      );
      pushedTo.set(blob.digest, image.repository);
    }
    const put = await call(`${base}/${image.repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': MEDIA.manifest },
      body: manifest,
    });
    const digest = put.headers.get('docker-content-digest');
    if (digest !== image.digest) {
      throw new Error(
        `${registry} stored ${image.repository} as ${digest}, not ${image.digest}: the manifest was altered`,
      );
    }
    results.push({
      repository: image.repository,
      tag,
      digest,
      reference: `${registry}/${image.repository}@${digest}`,
    });
  }
  return results;
}

async function pushBlob(
  base: string,
  repository: string,
  digest: string,
  read: () => Buffer,
  mountFrom?: string,
) {
  const head = await fetch(`${base}/${repository}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const mount = mountFrom ? `?mount=${digest}&from=${encodeURIComponent(mountFrom)}` : '';
  const start = await call(`${base}/${repository}/blobs/uploads/${mount}`, { method: 'POST' });
  if (start.status === 201) return;
  const location = start.headers.get('location');
  if (!location) throw new Error(`the registry started an upload to ${repository} without a Location`);
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  await call(url.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: read(),
  });
}

/** One request to the registry; a refusal carries the registry's own error body. */
async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(
      `no registry answers at ${new URL(url).host} (${(error as Error).message}): start one with \`./girok infra up registry\``,
    );
  }
  if (response.status >= 300) {
    throw new Error(`${init.method} ${url} answered ${response.status}: ${await response.text()}`);
  }
  return response;
}

const readBlob = (layout: string, digest: string) =>
  fs.readFileSync(path.join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
