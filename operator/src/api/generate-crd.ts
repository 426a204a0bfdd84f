// Writes the GirokPlatform CRD from its TypeScript source (crd.ts) into crds/.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crdFiles, renderCrd } from './render-crd.ts';

for (const file of crdFiles) {
  fs.writeFileSync(fileURLToPath(file), renderCrd());
  process.stdout.write(`wrote ${fileURLToPath(file)}\n`);
}
