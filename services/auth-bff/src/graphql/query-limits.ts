import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface QueryLimits {
  /** Deepest field nesting an operation may have. */
  readonly maxDepth: number;
  /** Most fields an operation may select, after fragments are expanded (aliases count). */
  readonly maxComplexity: number;
}

/**
 * Introspection (the explorer's schema query nests `ofType` deeply) has its own depth allowance;
 * its fields count against the complexity limit like any other.
 */
const INTROSPECTION_MAX_DEPTH = 15;

interface Measure {
  depth: number;
  fields: number;
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  depth: number,
  visiting: Set<string>,
): Measure {
  let deepest = depth;
  let fields = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      fields += 1;
      if (selection.selectionSet !== undefined) {
        const inner = measure(selection.selectionSet, fragments, depth + 1, visiting);
        deepest = Math.max(deepest, inner.depth);
        fields += inner.fields;
      } else {
        deepest = Math.max(deepest, depth + 1);
      }
      continue;
    }
    const inner =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : visiting.has(selection.name.value)
          ? undefined // a cycle: the spec's NoFragmentCycles rule reports it
          : fragments.get(selection.name.value)?.selectionSet;
    if (inner === undefined) continue;
    const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
    if (name !== undefined) visiting.add(name);
    const result = measure(inner, fragments, depth, visiting);
    if (name !== undefined) visiting.delete(name);
    deepest = Math.max(deepest, result.depth);
    fields += result.fields;
  }
  return { depth: deepest, fields };
}

/**
 * A validation rule refusing operations deeper or larger than the limits, before anything runs.
 * Errors carry stable codes: QUERY_TOO_DEEP, QUERY_TOO_COMPLEX.
 */
export function queryLimitsRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    return {
      OperationDefinition(node) {
        const { depth, fields } = measure(node.selectionSet, fragments, 0, new Set());
        const introspectionOnly = node.selectionSet.selections.every(
          (s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'),
        );
        const maxDepth = introspectionOnly
          ? Math.max(limits.maxDepth, INTROSPECTION_MAX_DEPTH)
          : limits.maxDepth;
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The operation is ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP', status: 400 },
            }),
          );
        }
        if (fields > limits.maxComplexity) {
          context.reportError(
            new GraphQLError(`The operation selects ${fields} fields; the limit is ${limits.maxComplexity}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX', status: 400 },
            }),
          );
        }
      },
    };
  };
}

/** Refuses `__schema` and `__type` (not `__typename`, which clients use) unless the explorer is on. */
const introspectionDisabledRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type')
      context.reportError(
        new GraphQLError('Schema introspection is disabled here', {
          nodes: [node],
          extensions: { code: 'INTROSPECTION_DISABLED', status: 400 },
        }),
      );
  },
});

/** The BFF's rules beyond the spec's, for HTTP and graphql-ws alike. */
export function graphqlRules(limits: QueryLimits & { readonly explorer: boolean }): ValidationRule[] {
  return [queryLimitsRule(limits), ...(limits.explorer ? [] : [introspectionDisabledRule])];
}
