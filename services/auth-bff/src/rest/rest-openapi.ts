import {
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';
import type { RestRoute } from './rest-routes.ts';

type Schema = Record<string, unknown>;

const SCALARS: Record<string, Schema> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Boolean: { type: 'boolean' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  DateTime: { type: 'string', format: 'date-time' },
};

function scalar(type: GraphQLNamedType): Schema {
  if (isEnumType(type)) return { type: 'string', enum: type.getValues().map((v) => v.name) };
  return SCALARS[type.name] ?? { type: 'string' };
}

function inputSchema(type: GraphQLInputType): Schema {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return { type: 'array', items: inputSchema(inner.ofType) };
  if (!isInputObjectType(inner)) return scalar(inner);
  const fields = Object.values(inner.getFields());
  return {
    type: 'object',
    properties: Object.fromEntries(
      fields.map((f) => [
        f.name,
        { ...inputSchema(f.type), ...(f.description ? { description: f.description } : {}) },
      ]),
    ),
    required: fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name),
  };
}

function outputSchema(type: GraphQLOutputType, selection: SelectionSetNode | undefined): Schema {
  const inner = isNonNullType(type) ? type.ofType : type;
  const nullable = !isNonNullType(type);
  const schema = isListType(inner)
    ? { type: 'array', items: outputSchema(inner.ofType, selection) }
    : isObjectType(inner) && selection !== undefined
      ? {
          type: 'object',
          properties: Object.fromEntries(
            selection.selections.flatMap((s) => {
              if (s.kind !== Kind.FIELD) return [];
              const field = inner.getFields()[s.name.value];
              return field === undefined
                ? []
                : [[s.alias?.value ?? s.name.value, outputSchema(field.type, s.selectionSet)]];
            }),
          ),
        }
      : scalar(getNamedType(inner));
  return nullable ? { ...schema, nullable: true } : schema;
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };

/** The REST face's OpenAPI 3 document, derived from the GraphQL operations each route runs. */
export function restOpenApi(schema: GraphQLSchema, routes: readonly RestRoute[]): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const operation = parse(route.document).definitions[0] as OperationDefinitionNode;
    const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
    const resultNode = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
    const field = resultNode?.kind === Kind.FIELD ? root?.getFields()[resultNode.name.value] : undefined;
    const bodyType = route.bodyType === undefined ? undefined : schema.getType(route.bodyType);
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    (paths[path] as Record<string, Schema>)[route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.path.includes(':id')
        ? { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] }
        : {}),
      ...(bodyType !== undefined && isInputObjectType(bodyType)
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: inputSchema(bodyType) } },
            },
          }
        : {}),
      responses: {
        200: {
          description: 'OK',
          content: {
            'application/json': {
              schema:
                field === undefined
                  ? {}
                  : outputSchema(
                      field.type,
                      resultNode?.kind === Kind.FIELD ? resultNode.selectionSet : undefined,
                    ),
            },
          },
        },
        default: { description: 'An error', content: { 'application/problem+json': { schema: PROBLEM } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Girok auth-bff REST',
      version: '1',
      description:
        'The browser session flows over REST: the same operations as /graphql. State-changing requests need the x-csrf-token header (GET /api/v1/csrf).',
    },
    paths,
    components: {
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'correlationId'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            correlationId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, description: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
