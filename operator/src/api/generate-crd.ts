// Writes the GirokPlatform CRD from its TypeScript source (crd.ts) into crds/.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crdFile, renderCrd } from './render-crd.ts';

fs.writeFileSync(fileURLToPath(crdFile), renderCrd());
process.stdout.write(`wrote ${fileURLToPath(crdFile)}\n`);
