import type { GirokPlatform, GirokPlatformSpec } from '../api/platform.ts';

/** A GirokPlatform as the API server would hand it over, for the builders' unit tests. */
export function platformFixture(spec: Partial<GirokPlatformSpec> = {}, name = 'girok'): GirokPlatform {
  return {
    apiVersion: 'platform.girok.dev/v1alpha1',
    kind: 'GirokPlatform',
    metadata: { name, namespace: 'girok-dev', uid: '0193a1f2-0000-7000-8000-000000000001', generation: 1 },
    spec: {
      environment: 'dev',
      domain: 'girok.dev',
      version: '1.4.2',
      imageRegistry: 'ghcr.io/girok/',
      ...spec,
    },
  };
}
