/** OpenAPI v3 schema as the API server reads it (the client library's model renames the x- keys). */
export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  readonly description?: string;
  readonly default?: unknown;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-validations'?: readonly { readonly rule: string; readonly message: string }[];
  readonly 'x-kubernetes-list-type'?: 'map' | 'set' | 'atomic';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

/**
 * The TypeScript type of the values a `const` schema admits. `Defaulted` false: what a user writes
 * (a property is optional unless `required`); true: what `withDefaults` returns (a property with a
 * `default` is present too).
 */
export type FromSchema<S, Defaulted extends boolean = false> = S extends {
  readonly anyOf: readonly (infer A)[];
}
  ? FromSchema<A, Defaulted>
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'integer' }
        ? number
        : S extends { readonly type: 'boolean' }
          ? boolean
          : S extends { readonly type: 'array'; readonly items: infer I }
            ? FromSchema<I, Defaulted>[]
            : S extends { readonly type: 'object'; readonly properties: infer P }
              ? ObjectOf<P, Present<P, RequiredOf<S>, Defaulted>, Defaulted>
              : S extends { readonly type: 'object'; readonly additionalProperties: infer A }
                ? Record<string, FromSchema<A, Defaulted>>
                : S extends { readonly type: 'object' }
                  ? Record<string, unknown>
                  : unknown;

type RequiredOf<S> = S extends { readonly required: readonly (infer K)[] } ? K : never;

/** The keys always present: the required ones and, once defaulted, those with a default. */
type Present<P, Required, Defaulted extends boolean> = {
  [K in keyof P]: K extends Required
    ? K
    : Defaulted extends true
      ? P[K] extends { readonly default: unknown }
        ? K
        : never
      : never;
}[keyof P];

type ObjectOf<P, Keys extends keyof P, Defaulted extends boolean> = Flatten<
  { -readonly [K in Keys]: FromSchema<P[K], Defaulted> } & {
    -readonly [K in Exclude<keyof P, Keys>]?: FromSchema<P[K], Defaulted>;
  }
>;
type Flatten<T> = { [K in keyof T]: T[K] };
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value with the schema's defaults applied as the API server applies them: a missing property
 * with a `default` gets a copy of it, and defaults nested in it apply in turn (so `default: {}` on an
 * object fills its own defaulted properties). Pure: the input is not modified.
 */
export function withDefaults<S extends JsonSchema>(schema: S, value: FromSchema<S>): FromSchema<S, true>;
export function withDefaults(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value))
    return schema.items ? value.map((v: unknown) => withDefaults(schema.items as JsonSchema, v)) : value;
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const given = out[key] ?? (sub.default === undefined ? undefined : structuredClone(sub.default));
    if (given !== undefined) out[key] = withDefaults(sub, given);
  }
  if (schema.additionalProperties) {
    const sub = schema.additionalProperties;
    for (const [key, v] of Object.entries(out)) out[key] = withDefaults(sub, v);
  }
  return out;
}
