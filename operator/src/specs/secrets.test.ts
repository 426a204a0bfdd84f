import { KeyRing } from '@girok/kit/crypto';
import { describe, expect, it } from 'vitest';
import { platformFixture } from './fixtures.ts';
import { viewOf } from './platform-view.ts';
import { componentKeySecret } from './secrets.ts';

const view = viewOf(platformFixture());
const component = (key: string) => {
  const c = view.components.find((x) => x.key === key);
  if (!c) throw new Error(`no component ${key}`);
  return c;
};

describe('key Secrets', () => {
  it('generates key rings the services’ KeyRing parser accepts, and 32-byte peppers', () => {
    const data = (key: string) => componentKeySecret(view, component(key))?.stringData ?? {};
    for (const [key, entry] of [
      ['identity', 'key-ring'],
      ['auth', 'key-ring'],
      ['authBff', 'key-ring'],
    ] as const) {
      const ring = data(key)[entry] ?? '';
      expect(ring).toMatch(/^k1:[A-Za-z0-9+/]+=*$/);
      expect(() => KeyRing.parse(ring)).not.toThrow();
    }
    for (const [key, entry] of [
      ['identity', 'backup-code-pepper'],
      ['legal', 'erasure-pepper'],
    ] as const) {
      expect(Buffer.from(data(key)[entry] ?? '', 'base64')).toHaveLength(32);
    }
    expect(componentKeySecret(view, component('audit'))).toBeUndefined();
  });

  it('draws new material for every Secret, never a constant', () => {
    const a = componentKeySecret(view, component('auth'))?.stringData?.['key-ring'];
    const b = componentKeySecret(view, component('auth'))?.stringData?.['key-ring'];
    expect(a).not.toBe(b);
  });

  it('outlives the platform unless the spec asks otherwise', () => {
    const kept = componentKeySecret(view, component('legal'));
    expect(kept?.metadata?.name).toBe('girok-legal-keys');
    expect(kept?.metadata?.ownerReferences).toBeUndefined();
    const owned = viewOf(platformFixture({ keys: { deleteWithPlatform: true } }));
    const c = owned.components.find((x) => x.key === 'legal');
    expect(c && componentKeySecret(owned, c)?.metadata?.ownerReferences).toEqual([owned.owner]);
  });
});
