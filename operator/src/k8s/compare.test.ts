import { describe, expect, it } from 'vitest';
import { differences, isSubset, needsApply, withAppliedHash } from './compare.ts';

describe('isSubset', () => {
  it('ignores what the server adds and notices what it changed', () => {
    const want = { spec: { replicas: 2, ports: [{ name: 'http', port: 80 }] } };
    const have = {
      spec: { replicas: 2, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], revisionHistoryLimit: 10 },
    };
    expect(isSubset(want, have)).toBe(true);
    expect(isSubset(want, { spec: { ...have.spec, replicas: 3 } })).toBe(false);
  });

  it('treats a list with an added or missing element as different', () => {
    expect(isSubset({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(isSubset({ a: [1, 2] }, { a: [1] })).toBe(false);
  });

  it('compares the server’s Date objects with the strings written', () => {
    expect(isSubset({ t: '2026-01-01T00:00:00Z' }, { t: new Date('2026-01-01T00:00:00Z') })).toBe(true);
  });
});

describe('needsApply', () => {
  const desired = withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x' },
    data: { a: '1' },
  });

  it('applies what does not exist yet, and not what already matches', () => {
    expect(needsApply(desired, undefined)).toBe(true);
    expect(needsApply(desired, { ...desired, metadata: { ...desired.metadata, resourceVersion: '7' } })).toBe(
      false,
    );
  });

  it('applies when a field was edited out of band', () => {
    expect(needsApply(desired, { ...desired, data: { a: '2' } } as typeof desired)).toBe(true);
  });

  it('applies when the operator stopped setting a field (the hash changed) even though the rest matches', () => {
    const previous = withAppliedHash({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: '1', b: '2' },
    });
    expect(needsApply(desired, previous)).toBe(true);
  });
});

describe('differences', () => {
  it('names each path that differs, down to the list element', () => {
    const want = { spec: { replicas: 2, template: { containers: [{ name: 'a', image: 'x:2' }] } } };
    const have = {
      spec: { replicas: 3, template: { containers: [{ name: 'a', image: 'x:1', ports: [] }] } },
    };
    expect(differences(want, have)).toEqual(['spec.replicas', 'spec.template.containers[0].image']);
    expect(differences(want, want)).toEqual([]);
  });
});
