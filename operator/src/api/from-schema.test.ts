import { describe, expectTypeOf, it } from 'vitest';
import type { platformSpecSchema } from './crd.ts';
import type { FromSchema } from './from-schema.ts';
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
