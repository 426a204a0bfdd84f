import { ensureDebianPackages } from '../install/debian.ts';
import type { ServerDef } from '../server.ts';

const SKOPEO = '/usr/bin/skopeo';
const UMOCI = '/usr/bin/umoci';
const RUNC = '/usr/sbin/runc';

/** Tools: independent readers of the images (skopeo, umoci) and the runtime that runs them (runc). */
export const ociTools: ServerDef = {
  name: 'oci-tools',
  summary: 'skopeo, umoci and runc (Debian), to check and run the images',
  needs: [],
  ports: () => [],
  install: (ctx) =>
    ensureDebianPackages(ctx.progress, [
      { package: 'skopeo', provides: SKOPEO },
      { package: 'umoci', provides: UMOCI },
      { package: 'runc', provides: RUNC },
    ]),
  env: () => ({ SKOPEO, UMOCI, RUNC }),
};
