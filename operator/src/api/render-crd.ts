import { stringify } from 'yaml';
import { girokPlatformCrd } from './crd.ts';

/** Where the generated CRD lives: the repository's crds/ and the Helm chart's crds/. */
export const crdFiles = [
  new URL('../../../crds/girokplatforms.platform.girok.dev.yaml', import.meta.url),
  new URL('../../../charts/girok-operator/crds/girokplatforms.platform.girok.dev.yaml', import.meta.url),
];

export function renderCrd(): string {
  return `# Generated from operator/src/api/crd.ts by \`npm run generate -w operator\`. Do not edit.\n${stringify(girokPlatformCrd, { lineWidth: 0 })}`;
}
