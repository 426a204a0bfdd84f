// `./girok images [--only operator,auth-service] [--push 127.0.0.1:15000] [--tag 0.0.0-dev]`:
// builds the images into .girok/images/oci, optionally pushes them, and prints what it made as JSON.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildImages } from './build.ts';
import { defaultBuildOptions } from './options.ts';
import { type PushedImage, pushImages } from './registry.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    push: { type: 'string' },
    tag: { type: 'string', default: '0.0.0-dev' },
  },
});

const options = defaultBuildOptions();
const started = Date.now();
const result = await buildImages({ ...options, ...(values.only ? { only: values.only.split(',') } : {}) });
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
for (const image of result.images) {
  const size = image.layers.reduce((s, l) => s + l.size, 0);
  const raw = image.layers.reduce((s, l) => s + l.uncompressedSize, 0);
  process.stderr.write(`${image.repository.padEnd(24)} ${image.digest}  ${mb(size)} (${mb(raw)} unpacked)\n`);
}
process.stderr.write(`built in ${((Date.now() - started) / 1000).toFixed(1)}s into ${result.layout}\n`);
let pushed: PushedImage[] = [];
if (values.push) {
  pushed = await pushImages(result.layout, result.images, values.push, values.tag);
  for (const p of pushed) process.stderr.write(`pushed ${p.reference} (tag ${p.tag})\n`);
}
const summary = {
  layout: result.layout,
  images: result.images.map(({ repository, ref, digest }) => ({ repository, ref, digest })),
  ...(values.push ? { pushed } : {}),
};
fs.writeFileSync(path.join(options.outDir, 'images.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
