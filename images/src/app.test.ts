import { describe, expect, it } from 'vitest';
import { type Lockfile, productionClosure } from './app.ts';

const lock: Lockfile = {
  packages: {
    '': {},
    'services/api': {
      dependencies: { '@girok/kit': '*', a: '^1' },
      peerDependencies: { tooling: '*' },
      peerDependenciesMeta: { tooling: { optional: true } },
      optionalDependencies: { 'native-darwin': '*' },
    },
    'services/kit': { dependencies: { b: '^2' } },
    'node_modules/@girok/kit': { link: true, resolved: 'services/kit' },
    'node_modules/a': { dependencies: { b: '^1' } },
    'node_modules/a/node_modules/b': {},
    'node_modules/b': {},
    'node_modules/tooling': { devOptional: true },
    'node_modules/native-darwin': {},
    'node_modules/dev-only': { dev: true },
  },
};
const everythingInstalled = (location: string) => location !== 'node_modules/native-darwin';

describe('productionClosure', () => {
  it('follows dependencies as Node resolves them: nested copies first, workspaces through their links', () => {
    const closure = productionClosure(lock, 'services/api', everythingInstalled);
    expect(closure.packages).toEqual([
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/b',
      'services/api',
      'services/kit',
    ]);
    expect([...closure.links]).toEqual([['node_modules/@girok/kit', 'services/kit']]);
  });

  it('leaves out devDependencies, tooling-only optional peers and optional packages npm did not install', () => {
    const { packages } = productionClosure(lock, 'services/api', everythingInstalled);
    expect(packages).not.toContain('node_modules/dev-only');
    expect(packages).not.toContain('node_modules/tooling');
    expect(packages).not.toContain('node_modules/native-darwin');
  });

  it('names a required package that is not installed and what to run', () => {
    expect(() => productionClosure(lock, 'services/api', (l) => l !== 'node_modules/b')).toThrow(
      'services/kit needs b, which is not installed: run `npm ci`',
    );
  });
});
