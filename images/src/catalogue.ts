/** One image: the workspace it runs and how. Names match the operator's catalogue (`girok/<image>`). */
export interface ImageDef {
  /** Repository under the registry, e.g. `girok/identity-service`. */
  readonly repository: string;
  /** Its name in the OCI layout's index (`org.opencontainers.image.ref.name`). */
  readonly ref: string;
  /** The workspace folder, relative to the repository root; it becomes /app/<workspace>. */
  readonly workspace: string;
  /** The file Node runs, relative to the workspace. */
  readonly main: string;
}

const service = (workspace: string, ref: string): ImageDef => ({
  repository: `girok/${ref}`,
  ref,
  workspace,
  // Services are compiled for their decorators (ADR 0006).
  main: 'dist/src/main.js',
});

export const images: readonly ImageDef[] = [
  // The operator runs its TypeScript as it is, with Node's type stripping (ADR 0002).
  { repository: 'girok/operator', ref: 'operator', workspace: 'operator', main: 'src/main.ts' },
  service('services/identity', 'identity-service'),
  service('services/auth', 'auth-service'),
  service('services/legal', 'legal-service'),
  service('services/audit', 'audit-service'),
  service('services/auth-bff', 'auth-bff'),
];

/**
 * The folders of each workspace package that run in production. The kit and the contracts' access
 * table are `.ts` stripped by Node, which it does only outside node_modules: that is why the image
 * keeps the repository's layout (/app/services/kit with a link from /app/node_modules/@girok/kit).
 */
export const workspaceRuntime: Readonly<Record<string, readonly string[]>> = {
  proto: ['gen', 'src'],
  'services/kit': ['src'],
  operator: ['src'],
  'services/identity': ['dist/src'],
  'services/auth': ['dist/src'],
  'services/legal': ['dist/src'],
  'services/audit': ['dist/src'],
  'services/auth-bff': ['dist/src'],
};
