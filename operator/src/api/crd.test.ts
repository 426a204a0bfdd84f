import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crdFiles, renderCrd } from './render-crd.ts';

describe('the GirokPlatform CRD', () => {
  it.each(crdFiles.map((f) => [f.pathname.split('/').slice(-3).join('/'), f] as const))(
    '%s is exactly what crd.ts generates (run `npm run generate -w operator` after a schema change)',
    (_name, file) => {
      expect(fs.readFileSync(file, 'utf8')).toBe(renderCrd());
    },
  );
});
