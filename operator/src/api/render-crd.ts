import { stringify } from 'yaml';
import { girokPlatformCrd } from './crd.ts';

export const crdFile = new URL('../../../crds/girokplatforms.platform.girok.dev.yaml', import.meta.url);

export function renderCrd(): string {
  return `# Generated from operator/src/api/crd.ts by \`npm run generate -w operator\`. Do not edit.\n${stringify(girokPlatformCrd, { lineWidth: 0 })}`;
}
