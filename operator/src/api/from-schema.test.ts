import { describe, expect, expectTypeOf, it } from 'vitest';
import type { platformSpecSchema } from './crd.ts';
import { type FromSchema, withDefaults } from './from-schema.ts';
import type { GirokPlatformSpec } from './platform.ts';

describe('FromSchema', () => {
  it('maps required, optional, enum, int-or-string, map and array properties', () => {
    const schema = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        count: { type: 'integer', default: 2 },
        on: { type: 'boolean' },
        flavor: { type: 'string', enum: ['a', 'b'] },
        size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        items: { type: 'array', items: { type: 'object', properties: { x: { type: 'integer' } } } },
      },
    } as const;
    expectTypeOf<FromSchema<typeof schema>>().toEqualTypeOf<{
      name: string;
      count?: number;
      on?: boolean;
      flavor?: 'a' | 'b';
      size?: number | string;
      labels?: Record<string, string>;
      items?: { x?: number }[];
    }>();
    // Once defaulted, a property with a default is always there.
    expectTypeOf<FromSchema<typeof schema, true>['count']>().toEqualTypeOf<number>();
  });

  it('gives the GirokPlatform spec its required fields from the CRD schema', () => {
    expectTypeOf<GirokPlatformSpec['environment']>().toEqualTypeOf<string>();
    expectTypeOf<
      NonNullable<FromSchema<typeof platformSpecSchema>['networkPolicy']>['flavor']
    >().toEqualTypeOf<'kubernetes' | 'cilium' | undefined>();
  });
});

describe('withDefaults', () => {
  const schema = {
    type: 'object',
    properties: {
      given: { type: 'integer', default: 1 },
      // `default: {}` fills the object's own defaults, as the API server does.
      nested: { type: 'object', default: {}, properties: { on: { type: 'boolean', default: true } } },
      absent: { type: 'object', properties: { on: { type: 'boolean', default: true } } },
      list: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', default: 3 } } } },
      map: {
        type: 'object',
        additionalProperties: { type: 'object', properties: { k: { type: 'string', default: 'url' } } },
      },
    },
  } as const;

  it('fills what is missing, keeps what is given, and leaves an object without a default absent', () => {
    const value = { given: 7, list: [{}, { n: 1 }], map: { a: {}, b: { k: 'uri' } } };
    expect(withDefaults(schema, value)).toEqual({
      given: 7,
      nested: { on: true },
      list: [{ n: 3 }, { n: 1 }],
      map: { a: { k: 'url' }, b: { k: 'uri' } },
    });
  });

  it('does not change its input, nor share a default between two results', () => {
    const value = {};
    const a = withDefaults(schema, value);
    const b = withDefaults(schema, value);
    expect(value).toEqual({});
    a.nested.on = false;
    expect(b.nested.on).toBe(true);
  });

  it('keeps a false or zero that was given', () => {
    expect(withDefaults(schema, { given: 0, nested: { on: false } })).toMatchObject({
      given: 0,
      nested: { on: false },
    });
  });
});
