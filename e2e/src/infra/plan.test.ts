import { describe, expect, it } from 'vitest';
import { expandAliases, planDown, planUp } from './plan.ts';
import type { ServerDef } from './server.ts';

const def = (name: string, needs: string[] = []): ServerDef => ({
  name,
  summary: name,
  needs,
  ports: () => [],
  install: async () => {},
  env: () => ({}),
});

const defs = [
  def('db'),
  def('store', ['db']),
  def('api', ['store']),
  def('worker', ['api', 'db']),
  def('dns'),
];
const aliases = { stack: ['api', 'worker'], all: defs.map((d) => d.name) };
const names = (list: ServerDef[]) => list.map((d) => d.name);

describe('planUp', () => {
  it('adds what a server needs, dependencies first', () => {
    expect(names(planUp(['api'], defs, aliases))).toEqual(['db', 'store', 'api']);
  });

  it('expands aliases and keeps the registry order between independent servers', () => {
    expect(names(planUp(['dns', 'stack'], defs, aliases))).toEqual(['db', 'store', 'api', 'worker', 'dns']);
  });

  it('brings up every server for "all" and none for an empty list', () => {
    expect(names(planUp(['all'], defs, aliases))).toEqual(['db', 'store', 'api', 'worker', 'dns']);
    expect(planUp([], defs, aliases)).toEqual([]);
  });

  it('rejects an unknown name and lists the choices', () => {
    expect(() => planUp(['dbx'], defs, aliases)).toThrow(
      'unknown server "dbx"; choose from: db, store, api, worker, dns, stack, all',
    );
  });

  it('reports a dependency cycle', () => {
    const cyclic = [def('a', ['b']), def('b', ['a'])];
    expect(() => planUp(['a'], cyclic, {})).toThrow('dependency cycle: a -> b -> a');
  });
});

describe('planDown', () => {
  it('stops only the servers named, dependents before what they need', () => {
    expect(names(planDown(['db', 'api'], defs, aliases))).toEqual(['api', 'db']);
    expect(names(planDown(['all'], defs, aliases))).toEqual(['dns', 'worker', 'api', 'store', 'db']);
    expect(planDown([], defs, aliases)).toEqual([]);
  });
});

describe('expandAliases', () => {
  it('lists each server once', () => {
    expect(expandAliases(['api', 'stack'], defs, aliases)).toEqual(['api', 'worker']);
  });
});
