import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlRules, queryLimitsRule } from './query-limits.ts';

const schema = buildSchema(`
  type Node { id: ID! child: Node name: String }
  type Query { node: Node hello: String }
`);
const rule = queryLimitsRule({ maxDepth: 4, maxComplexity: 10 });
const codes = (source: string) => validate(schema, parse(source), [rule]).map((e) => e.extensions.code);

describe('queryLimitsRule', () => {
  it('accepts an operation at the depth limit and refuses one a level deeper', () => {
    expect(codes('{ node { child { child { id } } } }')).toEqual([]);
    expect(codes('{ node { child { child { child { id } } } } }')).toEqual(['QUERY_TOO_DEEP']);
  });

  it('counts depth through fragments and inline fragments', () => {
    const viaFragment = `
      query { node { ...Deep } }
      fragment Deep on Node { child { ... on Node { child { child { id } } } } }`;
    expect(codes(viaFragment)).toEqual(['QUERY_TOO_DEEP']);
  });

  it('counts every selected field, aliases included, against the complexity limit', () => {
    expect(codes(`{ ${Array.from({ length: 10 }, (_, i) => `a${i}: hello`).join(' ')} }`)).toEqual([]);
    expect(codes(`{ ${Array.from({ length: 11 }, (_, i) => `a${i}: hello`).join(' ')} }`)).toEqual([
      'QUERY_TOO_COMPLEX',
    ]);
  });

  it('gives introspection-only operations room for the explorer’s schema query, not others', () => {
    const introspection = '{ __schema { types { fields { type { ofType { ofType { name } } } } } } }';
    expect(codes(introspection)).toEqual([]);
    expect(codes(`{ hello ${introspection.slice(1, -1)} }`)).toContain('QUERY_TOO_DEEP');
  });

  it('counts introspection fields against the complexity limit like any other', () => {
    const schemas = Array.from({ length: 4 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ');
    expect(codes(`{ ${schemas} }`)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('refuses __schema and __type unless the explorer is on, never __typename', () => {
    const off = graphqlRules({ maxDepth: 8, maxComplexity: 100, explorer: false });
    const on = graphqlRules({ maxDepth: 8, maxComplexity: 100, explorer: true });
    const run = (rules: typeof off, source: string) =>
      validate(schema, parse(source), rules).map((e) => e.extensions.code);
    expect(run(off, '{ __schema { queryType { name } } }')).toEqual(['INTROSPECTION_DISABLED']);
    expect(run(off, '{ __type(name: "Node") { name } }')).toEqual(['INTROSPECTION_DISABLED']);
    expect(run(off, '{ __typename }')).toEqual([]);
    expect(run(on, '{ __schema { queryType { name } } }')).toEqual([]);
  });

  it('survives a fragment cycle (the spec rule reports it)', () => {
    const cyclic =
      'query { node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }';
    expect(() => codes(cyclic)).not.toThrow();
  });
});
