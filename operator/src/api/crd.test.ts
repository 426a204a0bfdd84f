import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crdFile, renderCrd } from './render-crd.ts';

describe('the GirokPlatform CRD', () => {
  it('in crds/ is exactly what crd.ts generates (run `npm run generate -w operator` after a schema change)', () => {
    expect(fs.readFileSync(crdFile, 'utf8')).toBe(renderCrd());
  });
});
